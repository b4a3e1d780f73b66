import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Progressive rollouts: one row per rollout, its step history and the
 * verdict of every monitor window it judged. Everything a new leader needs
 * to continue from the recorded step is here; at most one pending, running
 * or paused rollout per model (the partial unique index decides a race).
 */
export class Rollouts1766400000001 implements MigrationInterface {
  name = 'Rollouts1766400000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rollouts (
        id bigserial PRIMARY KEY,
        model_id bigint NOT NULL REFERENCES models(id) ON DELETE CASCADE,
        model_name text NOT NULL,
        candidate_ref text NOT NULL,
        candidate_version integer NOT NULL,
        baseline_version integer NOT NULL,
        steps integer[] NOT NULL,
        step_min_duration_s integer NOT NULL,
        analysis jsonb NOT NULL,
        reason text,
        state text NOT NULL CHECK (state IN ('pending', 'running', 'paused', 'completed', 'aborted')),
        state_reason text,
        current_step integer NOT NULL DEFAULT 0,
        step_started_at timestamptz,
        pre_revision integer NOT NULL,
        last_revision integer NOT NULL,
        history jsonb NOT NULL DEFAULT '[]'::jsonb,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      )`);
    await q.query(`CREATE UNIQUE INDEX rollouts_one_active ON rollouts (model_id) WHERE state IN ('pending', 'running', 'paused')`);
    await q.query(`CREATE INDEX rollouts_model ON rollouts (model_name, id DESC)`);
    await q.query(`
      CREATE TABLE rollout_windows (
        rollout_id bigint NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE,
        step integer NOT NULL,
        window_start timestamptz NOT NULL,
        window_end timestamptz NOT NULL,
        checks jsonb NOT NULL,
        passed boolean NOT NULL,
        judged_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (rollout_id, step, window_start)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS rollout_windows');
    await q.query('DROP TABLE IF EXISTS rollouts');
  }
}
