import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createPartitionSql, DAY_MS, partitionPlan } from '../../monitoring/telemetry/partition-bounds.js';

const AHEAD_DAYS = 3;

/**
 * Performance that costs what labels cost, not what predictions cost
 * (`src/monitoring/buckets/`):
 *
 * - `prediction_buckets`: each replica's counts, score sum and 1,000-bin
 *   score histogram per series and minute (grain 60) and hour (grain 3600),
 *   rewritten whole on every flush like `window_sketches`; a range sums its
 *   rows over replicas.
 * - `labelled_predictions`: the slim join of a label with its prediction
 *   records (live and shadow): series, prediction time, score, predicted
 *   and true label. Written when the label is accepted and the record is
 *   stored, or by the joiner once the record lands (`pending_labels`).
 *   Partitioned by day on the prediction id like the log, so retention
 *   drops it with the log.
 * - `label_buckets`: additive per series, grain and bucket (by prediction
 *   time): label counts and sums, the labelled scores packed per class
 *   (minute grain only: exact AUC and DeLong) and fine score histograms per
 *   class (long ranges, with an error bound).
 */
export class PerformanceBuckets1766100000001 implements MigrationInterface {
  name = 'PerformanceBuckets1766100000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE prediction_buckets (
        model_name      text NOT NULL,
        version         integer NOT NULL,
        variant         text NOT NULL,
        grain           integer NOT NULL,
        bucket_start    timestamptz NOT NULL,
        replica_id      text NOT NULL,
        predictions     bigint NOT NULL,
        scored          bigint NOT NULL,
        score_sum       double precision NOT NULL,
        score_histogram integer[],
        updated_at      timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_name, grain, bucket_start, version, variant, replica_id)
      )`);
    await q.query(`
      CREATE TABLE label_buckets (
        model_name    text NOT NULL,
        version       integer NOT NULL,
        variant       text NOT NULL,
        grain         integer NOT NULL,
        bucket_start  timestamptz NOT NULL,
        labels        bigint NOT NULL,
        binary_labels bigint NOT NULL,
        positives     bigint NOT NULL,
        log_loss_sum  double precision NOT NULL,
        score_sum     double precision NOT NULL,
        classified    bigint NOT NULL,
        correct       bigint NOT NULL,
        valued        bigint NOT NULL,
        sq_error_sum  double precision NOT NULL,
        abs_error_sum double precision NOT NULL,
        pos_scores    bytea,
        neg_scores    bytea,
        pos_histogram integer[],
        neg_histogram integer[],
        updated_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_name, grain, bucket_start, version, variant)
      )`);
    // Element-wise sum of two count arrays (either may be NULL), for the additive upsert of histograms.
    await q.query(`
      CREATE FUNCTION modelgate_add_counts(a integer[], b integer[]) RETURNS integer[]
      LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE
          (SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i) FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)) END
      $$`);
    await q.query(`
      CREATE TABLE labelled_predictions (
        prediction_id uuid NOT NULL,
        model_name    text NOT NULL,
        version       integer NOT NULL,
        variant       text NOT NULL,
        created_at    timestamptz NOT NULL,
        score         double precision,
        predicted     text,
        label         text,
        value         double precision,
        outcomes      jsonb,
        probabilities jsonb,
        PRIMARY KEY (prediction_id, version, variant)
      ) PARTITION BY RANGE (prediction_id)`);
    // Only the labels that carry what buckets cannot hold are read row by row: business outcomes, multiclass probabilities.
    await q.query(`CREATE INDEX labelled_predictions_outcomes_idx ON labelled_predictions (model_name, created_at) WHERE outcomes IS NOT NULL`);
    await q.query(`CREATE INDEX labelled_predictions_probabilities_idx ON labelled_predictions (model_name, created_at) WHERE probabilities IS NOT NULL`);
    // Labels accepted before their live record was stored; the joiner consumes them.
    await q.query(`
      CREATE TABLE pending_labels (
        prediction_id uuid PRIMARY KEY,
        accepted_at   timestamptz NOT NULL DEFAULT now()
      )`);
    const days = new Set<number>(partitionPlan(Date.now(), 0, AHEAD_DAYS).create);
    const existing: { name: string }[] = await q.query(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
        WHERE p.relname = 'prediction_labels' AND p.relnamespace = current_schema()::regnamespace`,
    );
    for (const r of existing) {
      const m = /_p(\d{4})(\d{2})(\d{2})$/.exec(r.name);
      if (m) days.add(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
    }
    for (const day of days) await q.query(createPartitionSql('labelled_predictions', Math.floor(day / DAY_MS) * DAY_MS));
    // Labels stored before this migration join through the joiner like any early label.
    await q.query(`INSERT INTO pending_labels (prediction_id) SELECT prediction_id FROM prediction_labels ON CONFLICT DO NOTHING`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS pending_labels`);
    await q.query(`DROP TABLE IF EXISTS labelled_predictions`);
    await q.query(`DROP FUNCTION IF EXISTS modelgate_add_counts(integer[], integer[])`);
    await q.query(`DROP TABLE IF EXISTS label_buckets`);
    await q.query(`DROP TABLE IF EXISTS prediction_buckets`);
  }
}
