import { describe, expect, it } from 'vitest';
import { useMigratedDatabase } from './support/database.js';

describe('drift_checks and window_sketches tables', () => {
  const m = useMigratedDatabase();

  const insert = (variant: string) =>
    m.ds.query(
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

  it('drops the monitoring tables on revert and recreates them on the next run', async () => {
    const exists = async (t: string) => (await m.ds.query(`SELECT to_regclass($1) AS t`, [t]))[0].t !== null;
    // Every migration after these is undone first, newest first: each one's down() runs here.
    for (let i = 0; i < 50 && (await exists('window_sketches')); i++) await m.ds.undoLastMigration({ transaction: 'each' });
    expect(await exists('window_sketches')).toBe(false);
    expect(await exists('drift_checks')).toBe(true);
    await m.ds.undoLastMigration({ transaction: 'each' });
    expect(await exists('drift_checks')).toBe(false);
    await m.ds.runMigrations({ transaction: 'each' });
    expect(await exists('drift_checks')).toBe(true);
    expect(await exists('window_sketches')).toBe(true);
  });
});
