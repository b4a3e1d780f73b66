import { describe, expect, it } from 'vitest';
import { packScores, ScoreList } from '../src/monitoring/buckets/label-deltas.js';
import { predictionsStatement } from '../src/monitoring/telemetry/telemetry-sql.js';
import { uuidv7 } from '../src/common/ids.js';
import { useMigratedDatabase } from './support/database.js';

/** Migration 1767000000101: the feature_source column, its bucket keys, and a down that loses no count. */
describe('feature_source columns', () => {
  const m = useMigratedDatabase();

  const AT = '2026-12-07T12:00:00Z';
  const predictionCell = (source: number | undefined, predictions: number) =>
    m.ds.query(
      `INSERT INTO prediction_buckets (model_name, version, variant, grain, bucket_start, replica_id, predictions, scored, score_sum, score_histogram${source === undefined ? '' : ', feature_source'})
       VALUES ('m', 1, 'v1', 60, $1, 'r1', $2::int, $2::int, $3::float8, $4::int[]${source === undefined ? '' : ', $5'})`,
      [AT, predictions, predictions * 0.5, [predictions, 0], ...(source === undefined ? [] : [source])],
    );
  const labelCell = (source: number, positives: number[], negatives: number[]) =>
    m.ds.query(
      `INSERT INTO label_buckets (model_name, version, variant, feature_source, grain, bucket_start, labels, binary_labels, positives, log_loss_sum, score_sum,
         classified, correct, valued, sq_error_sum, abs_error_sum, pos_scores, neg_scores, pos_histogram, neg_histogram)
       VALUES ('m', 1, 'v1', $1, 60, $2, $3::int, $3::int, $4::int, 1.5, 0.5, $3::int, 1, 0, 0, 0, $5, $6, $7::int[], $8::int[])`,
      [source, AT, positives.length + negatives.length, positives.length, packScores(positives), packScores(negatives), [positives.length], [negatives.length]],
    );

  it('reads rows written without the column as sent, and keeps a bucket row per source', async () => {
    await predictionCell(undefined, 3);
    await predictionCell(1, 4);
    const rows = await m.ds.query(`SELECT feature_source, predictions::int AS n FROM prediction_buckets ORDER BY feature_source`);
    expect(rows).toEqual([
      { feature_source: 0, n: 3 },
      { feature_source: 1, n: 4 },
    ]);
    await labelCell(0, [0.5], [0.25]);
    await labelCell(1, [0.75, 0.625], [0.125]);
    await expect(labelCell(1, [0.5], [])).rejects.toThrow(/duplicate key/);
  });

  it('stores the source given by the INSERT form of the log (the benchmark\'s alternative to COPY)', async () => {
    const now = Date.now();
    const base = { model: 'm', version: 1, variant: 'v1', protocol: 'v1' as const, fallback: false, createdAt: now, latencyMs: 1 };
    const ids = [uuidv7(now), uuidv7(now)];
    const stmt = predictionsStatement([{ ...base, id: ids[0] }, { ...base, id: ids[1], lookedUp: true }]);
    await m.ds.query(stmt.sql, stmt.params);
    const rows = await m.ds.query(`SELECT id::text AS id, feature_source FROM predictions WHERE id = ANY($1::uuid[]) ORDER BY feature_source`, [ids]);
    expect(rows).toEqual([
      { id: ids[0], feature_source: 0 },
      { id: ids[1], feature_source: 1 },
    ]);
  });

  it('folds looked-up bucket rows into the sent ones on revert, and adds the column back on the next run', async () => {
    await m.ds.undoLastMigration({ transaction: 'each' });
    const [p] = await m.ds.query(`SELECT predictions::int AS n, scored::int AS scored, score_sum, score_histogram FROM prediction_buckets`);
    expect(p).toEqual({ n: 7, scored: 7, score_sum: 3.5, score_histogram: [7, 0] });
    const labels = await m.ds.query(`SELECT labels::int AS labels, positives::int AS positives, log_loss_sum, pos_scores, neg_scores, pos_histogram, neg_histogram FROM label_buckets`);
    expect(labels).toHaveLength(1);
    const [l] = labels;
    expect(l).toMatchObject({ labels: 5, positives: 3, log_loss_sum: 3, pos_histogram: [3], neg_histogram: [2] });
    const read = (b: Buffer) => {
      const s = new ScoreList();
      s.add(b);
      return s;
    };
    expect(read(l.pos_scores).length).toBe(3);
    expect(read(l.neg_scores).length).toBe(2);
    const cols = await m.ds.query(`SELECT table_name FROM information_schema.columns WHERE column_name = 'feature_source' AND table_schema = current_schema()`);
    expect(cols).toEqual([]);
    await m.ds.runMigrations({ transaction: 'each' });
    const back = await m.ds.query(`SELECT feature_source, predictions::int AS n FROM prediction_buckets`);
    expect(back).toEqual([{ feature_source: 0, n: 7 }]);
  });
});
