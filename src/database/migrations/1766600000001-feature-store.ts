import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Online features: view definitions, and (for the PostgreSQL store) their
 * rows keyed by (view, entity) with values as jsonb. `event_time` is when
 * the values were true; an older event never overwrites a newer one.
 */
export class FeatureStore1766600000001 implements MigrationInterface {
  name = 'FeatureStore1766600000001';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE feature_views (
        name        text PRIMARY KEY,
        description text NOT NULL DEFAULT '',
        entities    text[] NOT NULL,
        features    jsonb NOT NULL,
        ttl_s       integer NOT NULL CHECK (ttl_s > 0),
        created_by  text NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE feature_rows (
        view       text NOT NULL REFERENCES feature_views(name) ON DELETE CASCADE,
        entity     text NOT NULL,
        "values"   jsonb NOT NULL,
        event_time timestamptz NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (view, entity)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS feature_rows');
    await q.query('DROP TABLE IF EXISTS feature_views');
  }
}
