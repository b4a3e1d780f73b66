import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail: one row per write request (who, when, what, from where,
 * and how it ended). Append-only; paged newest first by `id`.
 */
export class AuditLog1765700000001 implements MigrationInterface {
  name = 'AuditLog1765700000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE audit_log (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL DEFAULT now(),
        actor_key_id text,
        actor_name text,
        address text,
        method text NOT NULL,
        route text NOT NULL,
        path text NOT NULL,
        params jsonb NOT NULL DEFAULT '{}',
        status integer NOT NULL,
        code text,
        reason text,
        request_id text
      )
    `);
    await q.query(`CREATE INDEX audit_log_model_idx ON audit_log ((params->>'name'), id DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS audit_log');
  }
}
