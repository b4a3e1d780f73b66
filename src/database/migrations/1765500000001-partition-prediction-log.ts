import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createPartitionSql, DAY_MS, partitionPlan } from '../../monitoring/telemetry/partition-bounds.js';

/** Days created ahead by the migration; the elected maintenance job keeps the same horizon afterwards. */
const AHEAD_DAYS = 3;

const PREDICTIONS = `
  id          uuid NOT NULL,
  model       text NOT NULL,
  version     integer NOT NULL,
  variant     text NOT NULL,
  protocol    text NOT NULL,
  fallback    boolean NOT NULL DEFAULT false,
  created_at  timestamptz NOT NULL,
  latency_ms  real NOT NULL,
  score       double precision,
  label       text,
  outputs     jsonb,
  inputs      jsonb`;

const SHADOWS = `
  prediction_id uuid NOT NULL,
  model         text NOT NULL,
  version       integer NOT NULL,
  created_at    timestamptz NOT NULL,
  latency_ms    real NOT NULL,
  score         double precision,
  label         text,
  outputs       jsonb,
  error         text`;

/** The day (epoch ms) of every uuid in a column: its leading 48 bits are a millisecond time. */
const daysOf = (table: string, column: string) =>
  `SELECT DISTINCT (('x' || translate(left(${column}::text, 13), '-', ''))::bit(48)::bigint / ${DAY_MS}) * ${DAY_MS} AS day FROM ${table}`;

/**
 * The prediction log, its shadow records and the labels become daily range
 * partitions on the prediction id (UUIDv7, so a day's ids are one range and
 * the id stays the primary key). Existing rows are moved into the partitions
 * of their ids' days; today and the next days are created ahead, and the
 * elected maintenance job (PredictionPartitions) keeps that horizon and
 * drops days past retention.
 */
export class PartitionPredictionLog1765500000001 implements MigrationInterface {
  name = 'PartitionPredictionLog1765500000001';

  async up(q: QueryRunner): Promise<void> {
    const { create } = partitionPlan(Date.now(), 0, AHEAD_DAYS);

    await q.query(`ALTER TABLE predictions RENAME TO predictions_unpartitioned`);
    await q.query(`ALTER TABLE predictions_unpartitioned RENAME CONSTRAINT predictions_pkey TO predictions_unpartitioned_pkey`);
    await q.query(`DROP INDEX predictions_created_brin`);
    await q.query(`CREATE TABLE predictions (${PREDICTIONS}, PRIMARY KEY (id)) PARTITION BY RANGE (id)`);
    await q.query(`CREATE INDEX predictions_created_brin ON predictions USING brin (created_at)`);

    await q.query(`ALTER TABLE shadow_predictions RENAME TO shadow_predictions_unpartitioned`);
    await q.query(`ALTER TABLE shadow_predictions_unpartitioned RENAME CONSTRAINT shadow_predictions_pkey TO shadow_predictions_unpartitioned_pkey`);
    await q.query(`DROP INDEX shadow_predictions_model_time_idx`);
    await q.query(`CREATE TABLE shadow_predictions (${SHADOWS}, PRIMARY KEY (prediction_id, version)) PARTITION BY RANGE (prediction_id)`);
    await q.query(`CREATE INDEX shadow_predictions_model_time_idx ON shadow_predictions (model, created_at)`);

    // Labels on their own, keyed by the prediction id, so a label can arrive
    // before its prediction record is flushed and join it later. `label` is
    // the class label as the predict answer writes it; `value` the regressed
    // value; exactly one of them is set.
    await q.query(`
      CREATE TABLE prediction_labels (
        prediction_id uuid NOT NULL,
        label         text,
        value         double precision,
        outcomes      jsonb,
        created_at    timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (prediction_id),
        CHECK ((label IS NULL) <> (value IS NULL))
      ) PARTITION BY RANGE (prediction_id)`);

    const days = new Set<number>(create);
    for (const table of ['predictions_unpartitioned', 'shadow_predictions_unpartitioned']) {
      const column = table.startsWith('shadow') ? 'prediction_id' : 'id';
      for (const r of (await q.query(daysOf(table, column))) as { day: string }[]) days.add(Number(r.day));
    }
    for (const day of days) {
      for (const table of ['predictions', 'shadow_predictions', 'prediction_labels']) await q.query(createPartitionSql(table, day));
    }
    await q.query(`INSERT INTO predictions SELECT * FROM predictions_unpartitioned`);
    await q.query(`INSERT INTO shadow_predictions SELECT * FROM shadow_predictions_unpartitioned`);
    await q.query(`DROP TABLE predictions_unpartitioned`);
    await q.query(`DROP TABLE shadow_predictions_unpartitioned`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE prediction_labels`);
    for (const [table, columns, key, index] of [
      ['predictions', PREDICTIONS, 'id', `CREATE INDEX predictions_created_brin ON predictions USING brin (created_at)`],
      ['shadow_predictions', SHADOWS, 'prediction_id, version', `CREATE INDEX shadow_predictions_model_time_idx ON shadow_predictions (model, created_at)`],
    ] as const) {
      await q.query(`CREATE TABLE ${table}_plain (${columns}, PRIMARY KEY (${key}))`);
      await q.query(`INSERT INTO ${table}_plain SELECT * FROM ${table}`);
      await q.query(`DROP TABLE ${table}`);
      await q.query(`ALTER TABLE ${table}_plain RENAME TO ${table}`);
      await q.query(`ALTER TABLE ${table} RENAME CONSTRAINT ${table}_plain_pkey TO ${table}_pkey`);
      await q.query(index);
    }
  }
}
