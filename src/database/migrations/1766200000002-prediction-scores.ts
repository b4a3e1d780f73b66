import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createPartitionSql, DAY_MS, partitionPlan } from '../../monitoring/telemetry/partition-bounds.js';

/** Days created ahead by the migration; the elected maintenance job keeps the same horizon afterwards. */
const AHEAD_DAYS = 3;

/**
 * The slim prediction table PostgreSQL keeps when the full log goes to a
 * stream (MODELGATE_PREDICTION_LOG=nats://...): a prediction's series,
 * score, predicted label and time, keyed and range-partitioned by day on
 * its id like `predictions` and `prediction_labels`, so a label joins it
 * by primary key and a day drops as one partition.
 */
export class PredictionScores1766200000002 implements MigrationInterface {
  name = 'PredictionScores1766200000002';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE prediction_scores (
      prediction_id uuid NOT NULL,
      model         text NOT NULL,
      version       integer NOT NULL,
      variant       text NOT NULL,
      score         double precision,
      label         text,
      created_at    timestamptz NOT NULL,
      PRIMARY KEY (prediction_id)
    ) PARTITION BY RANGE (prediction_id)`);
    await q.query(`CREATE INDEX prediction_scores_created_brin ON prediction_scores USING brin (created_at)`);
    const plan = partitionPlan(Date.now(), 0, AHEAD_DAYS);
    // Yesterday too: a replica's clock may be a little behind the migrating one's.
    for (const day of [plan.create[0] - DAY_MS, ...plan.create]) await q.query(createPartitionSql('prediction_scores', day));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS prediction_scores`);
  }
}
