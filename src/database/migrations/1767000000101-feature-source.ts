import type { MigrationInterface, QueryRunner } from 'typeorm';

const TABLES = ['predictions', 'prediction_scores', 'shadow_predictions', 'labelled_predictions'];
const LABEL_SUMS = ['labels', 'binary_labels', 'positives', 'log_loss_sum', 'score_sum', 'classified', 'correct', 'valued', 'sq_error_sum', 'abs_error_sum'];
const LABEL_COLUMNS = `model_name, version, variant, grain, bucket_start, ${LABEL_SUMS.join(', ')}, pos_scores, neg_scores, pos_histogram, neg_histogram`;

/**
 * Issue 26, "Skew shows": every prediction keeps where its feature values
 * came from (`feature_source` smallint: 0 sent by the caller, 1 at least one
 * looked up in the online store; see monitoring/telemetry/feature-source.ts)
 * so performance can be split by it. The log, the slim score rows, shadow
 * copies and the labelled rows carry it; both bucket tables key on it like
 * on the variant. A constant default is a catalogue change only in
 * PostgreSQL 11+, so the large tables are not rewritten, and rows from before
 * are `sent`, which they were: nothing was looked up before online features.
 *
 * Down folds the looked-up bucket rows into the sent ones (counts and sums
 * added, scores appended, histograms added) before the keys lose the column.
 */
export class FeatureSource1767000000101 implements MigrationInterface {
  name = 'FeatureSource1767000000101';

  async up(q: QueryRunner): Promise<void> {
    for (const t of [...TABLES, 'prediction_buckets', 'label_buckets']) {
      await q.query(`ALTER TABLE ${t} ADD COLUMN feature_source smallint NOT NULL DEFAULT 0`);
    }
    await q.query(`ALTER TABLE prediction_buckets DROP CONSTRAINT prediction_buckets_pkey`);
    await q.query(`ALTER TABLE prediction_buckets ADD PRIMARY KEY (model_name, grain, bucket_start, version, variant, feature_source, replica_id)`);
    await q.query(`ALTER TABLE label_buckets DROP CONSTRAINT label_buckets_pkey`);
    await q.query(`ALTER TABLE label_buckets ADD PRIMARY KEY (model_name, grain, bucket_start, version, variant, feature_source)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      INSERT INTO prediction_buckets AS b (model_name, version, variant, grain, bucket_start, replica_id, predictions, scored, score_sum, score_histogram, feature_source)
      SELECT model_name, version, variant, grain, bucket_start, replica_id, predictions, scored, score_sum, score_histogram, 0 FROM prediction_buckets WHERE feature_source <> 0
      ON CONFLICT (model_name, grain, bucket_start, version, variant, feature_source, replica_id) DO UPDATE SET
        predictions = b.predictions + EXCLUDED.predictions, scored = b.scored + EXCLUDED.scored, score_sum = b.score_sum + EXCLUDED.score_sum,
        score_histogram = modelgate_add_counts(b.score_histogram, EXCLUDED.score_histogram), updated_at = now()`);
    await q.query(`
      INSERT INTO label_buckets AS b (${LABEL_COLUMNS}, feature_source)
      SELECT ${LABEL_COLUMNS}, 0 FROM label_buckets WHERE feature_source <> 0
      ON CONFLICT (model_name, grain, bucket_start, version, variant, feature_source) DO UPDATE SET
        ${LABEL_SUMS.map((c) => `${c} = b.${c} + EXCLUDED.${c}`).join(', ')},
        ${['pos_scores', 'neg_scores'].map((c) => `${c} = CASE WHEN EXCLUDED.${c} IS NULL THEN b.${c} ELSE coalesce(b.${c}, ''::bytea) || EXCLUDED.${c} END`).join(', ')},
        ${['pos_histogram', 'neg_histogram'].map((c) => `${c} = modelgate_add_counts(b.${c}, EXCLUDED.${c})`).join(', ')}, updated_at = now()`);
    for (const t of ['prediction_buckets', 'label_buckets']) await q.query(`DELETE FROM ${t} WHERE feature_source <> 0`);
    await q.query(`ALTER TABLE label_buckets DROP CONSTRAINT label_buckets_pkey`);
    await q.query(`ALTER TABLE label_buckets ADD PRIMARY KEY (model_name, grain, bucket_start, version, variant)`);
    await q.query(`ALTER TABLE prediction_buckets DROP CONSTRAINT prediction_buckets_pkey`);
    await q.query(`ALTER TABLE prediction_buckets ADD PRIMARY KEY (model_name, grain, bucket_start, version, variant, replica_id)`);
    for (const t of ['label_buckets', 'prediction_buckets', ...TABLES].reverse()) await q.query(`ALTER TABLE ${t} DROP COLUMN IF EXISTS feature_source`);
  }
}
