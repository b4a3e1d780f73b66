import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * One row per monitoring series (model, version, variant) and window: the
 * drift decision, data quality and the window's request figures, written once
 * by the elected window check. The unique key makes a re-run after a leader
 * change a no-op; the (checked_at, id) index lets the alert evaluator read
 * the rows checked after its cursor without scanning the history.
 */
export class DriftChecks1765400000000 implements MigrationInterface {
  name = 'DriftChecks1765400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE drift_checks (
        id                  bigserial PRIMARY KEY,
        model_name          text NOT NULL,
        version             integer NOT NULL,
        variant             text NOT NULL,
        window_start        timestamptz NOT NULL,
        window_end          timestamptz NOT NULL,
        rows                integer NOT NULL,
        judged              boolean NOT NULL,
        features            jsonb NOT NULL DEFAULT '[]',
        drifted_features    text[] NOT NULL DEFAULT '{}',
        prediction          jsonb,
        prediction_drifted  boolean NOT NULL DEFAULT false,
        data_quality        jsonb NOT NULL DEFAULT '[]',
        data_quality_failed text[] NOT NULL DEFAULT '{}',
        requests            integer NOT NULL DEFAULT 0,
        errors              integer NOT NULL DEFAULT 0,
        error_rate          double precision NOT NULL DEFAULT 0,
        latency_p50_ms      double precision,
        latency_p99_ms      double precision,
        latency_histogram   jsonb,
        checked_at          timestamptz NOT NULL DEFAULT now(),
        UNIQUE (model_name, version, variant, window_start)
      )`);
    await q.query(`CREATE INDEX drift_checks_checked_idx ON drift_checks (checked_at, id)`);
    await q.query(`CREATE INDEX drift_checks_series_idx ON drift_checks (model_name, window_start DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS drift_checks`);
  }
}
