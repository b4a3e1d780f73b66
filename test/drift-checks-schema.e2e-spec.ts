import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataSource } from 'typeorm';
import { createDataSource } from '../src/database/database.connection.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

describe('drift_checks table', () => {
  let db: TestDatabase;
  let ds: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource(db.url, 2);
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  const insert = (variant: string) =>
    ds.query(
      `INSERT INTO drift_checks (model_name, version, variant, window_start, window_end, rows, judged)
       VALUES ('m', 1, $1, '2026-12-01T20:00:00Z', '2026-12-01T20:05:00Z', 10, false)
       ON CONFLICT (model_name, version, variant, window_start) DO NOTHING RETURNING id`,
      [variant],
    );

  it('keeps one row per series and window, so a second check of the window writes nothing', async () => {
    expect(await insert('production')).toHaveLength(1);
    expect(await insert('production')).toHaveLength(0);
    expect(await insert('shadow')).toHaveLength(1);
  });

  it('drops the table on revert and recreates it on the next run', async () => {
    await ds.undoLastMigration({ transaction: 'each' });
    const gone = await ds.query(`SELECT to_regclass('drift_checks') AS t`);
    expect(gone[0].t).toBeNull();
    await ds.runMigrations({ transaction: 'each' });
    const back = await ds.query(`SELECT to_regclass('drift_checks') AS t`);
    expect(back[0].t).toBe('drift_checks');
  });
});
