import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config.schema.js';
import { createLogger } from '../src/common/logger.js';
import { DatabaseConnection } from '../src/database/database.connection.js';
import { ADMIN_TOKEN } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';

/** The switches a deployment relies on: the chart runs migrations in a Job, not in every pod. */
describe('operations', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const appliedMigrations = () =>
    withClient(db.url, async (c) => {
      const t = await c.query(`SELECT to_regclass('public.migrations') AS t`);
      if (!t.rows[0].t) return 0;
      return Number((await c.query('SELECT count(*)::int AS n FROM migrations')).rows[0].n);
    });

  it('leaves the schema alone with MODELGATE_MIGRATE_ON_START=false and migrates once it is true', async () => {
    const logger = createLogger('silent');
    const env = { DATABASE_URL: db.url, MODELGATE_ADMIN_TOKEN: ADMIN_TOKEN, MODELGATE_MIGRATE_ON_START: 'false' };
    const off = await DatabaseConnection.open(loadConfig(env), logger);
    await off.close();
    expect(await appliedMigrations()).toBe(0);

    const on = await DatabaseConnection.open(loadConfig({ ...env, MODELGATE_MIGRATE_ON_START: 'true' }), logger);
    await on.close();
    expect(await appliedMigrations()).toBeGreaterThan(0);
  });
});
