import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { afterAll, beforeAll, inject } from 'vitest';
import { createDataSource } from '../../src/database/database.connection.js';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A fresh, empty database for one suite on the shared test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject('postgresAdminUrl');
  const name = `mg_test_${randomBytes(6).toString('hex')}`;
  await withClient(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () =>
      withClient(adminUrl, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      }),
  };
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh database with every migration run, for the tests of the describe
 * block that calls it: created before them, dropped after. The schema tests
 * read and write its tables through `ds`.
 */
export function useMigratedDatabase(): { readonly db: TestDatabase; readonly ds: DataSource } {
  const state = {} as { db: TestDatabase; ds: DataSource };
  beforeAll(async () => {
    state.db = await createTestDatabase();
    state.ds = createDataSource(state.db.url, 2);
    await state.ds.initialize();
    await state.ds.runMigrations({ transaction: 'each' });
  });
  afterAll(async () => {
    await state.ds?.destroy();
    await state.db?.drop();
  });
  return state;
}
