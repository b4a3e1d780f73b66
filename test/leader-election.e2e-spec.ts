import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/common/logger.js';
import { LeaderElection } from '../src/database/leader-election.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('leader election on a PostgreSQL advisory lock', () => {
  let db: TestDatabase;
  const logger = createLogger('silent');
  // A key of this suite's own, so parallel suites on the shared server do not compete with it.
  const lockKey = 0x7e57_0000 + Math.floor(Math.random() * 0xffff);
  const electors: LeaderElection[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await Promise.all(electors.map((e) => e.stop()));
    await db.drop();
  });

  it('elects exactly one of two replicas, and the other takes over when the leader connection is killed', async () => {
    const runs = [0, 0];
    for (const i of [0, 1]) {
      const e = new LeaderElection(db.url, logger, { pollMs: 50, lockKey });
      e.every({ name: 'count', periodMs: 20, run: async () => void runs[i]++ });
      electors.push(e);
    }
    await Promise.all(electors.map((e) => e.start()));
    await until(() => electors.some((e) => e.isLeader));
    await new Promise((r) => setTimeout(r, 200));
    expect(electors.filter((e) => e.isLeader)).toHaveLength(1);
    const leader = electors.findIndex((e) => e.isLeader);
    const follower = 1 - leader;
    await until(() => runs[leader] > 2);
    expect(runs[follower]).toBe(0);

    // Kill the leader's session from outside, as a crash or a network cut would.
    await withClient(db.url, (c) =>
      c.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND application_name = 'modelgate-leader-election' AND pid IN (SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND objid = $2)`, [db.name, lockKey]),
    );
    await until(() => electors[follower].isLeader);
    const before = runs[follower];
    await until(() => runs[follower] > before + 2);
    // The old leader may win the lock back only after the new one lets go: never both at once.
    expect(electors.filter((e) => e.isLeader).length).toBeLessThanOrEqual(1);
  });

  it('releases the lock at once on stop, so a successor leads without waiting', async () => {
    const a = new LeaderElection(db.url, logger, { pollMs: 50, lockKey: lockKey + 1 });
    const b = new LeaderElection(db.url, logger, { pollMs: 50, lockKey: lockKey + 1 });
    electors.push(a, b);
    await a.start();
    await until(() => a.isLeader);
    await b.start();
    expect(b.isLeader).toBe(false);
    await a.stop();
    await until(() => b.isLeader, 2_000);
  });

  it('runAllNow waits for a run a timer started and runs the job afresh, so it never returns on a stale run', async () => {
    const e = new LeaderElection(db.url, logger, { pollMs: 50, lockKey: lockKey + 2 });
    electors.push(e);
    let state = 0;
    const seen: number[] = [];
    let release!: () => void;
    let started!: () => void;
    const timerRunStarted = new Promise<void>((r) => (started = r));
    e.every({
      name: 'slow',
      periodMs: 10,
      run: async () => {
        const read = state;
        if (!seen.length) {
          started();
          await new Promise<void>((r) => (release = r));
        }
        seen.push(read);
      },
    });
    await e.start();
    await until(() => e.isLeader);
    await timerRunStarted;
    state = 1;
    const now = e.runAllNow();
    await new Promise((r) => setTimeout(r, 30));
    release();
    expect(await now).toBe(true);
    // The timer's run read the old state; the caller's run read the new one.
    expect(seen.slice(0, 2)).toEqual([0, 1]);
  });
});
