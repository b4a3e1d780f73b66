import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Each replica's partial live sketch of a series and window, rewritten
 * whole on every flush (the replica keeps the window's running sketch in
 * memory until the window has ended and been flushed). A window's figures
 * are the merge of its rows over replicas, read by the elected check after
 * the grace period.
 */
export class WindowSketches1765400000001 implements MigrationInterface {
  name = 'WindowSketches1765400000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE window_sketches (
        model_name   text NOT NULL,
        version      integer NOT NULL,
        variant      text NOT NULL,
        window_start timestamptz NOT NULL,
        replica_id   text NOT NULL,
        window_end   timestamptz NOT NULL,
        rows         integer NOT NULL,
        sketch       jsonb NOT NULL,
        updated_at   timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (model_name, version, variant, window_start, replica_id)
      )`);
    await q.query(`CREATE INDEX window_sketches_end_idx ON window_sketches (window_end)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS window_sketches`);
  }
}
