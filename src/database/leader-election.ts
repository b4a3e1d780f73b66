import pg from 'pg';
import type { Logger } from '../common/logger.js';

/**
 * The advisory-lock key of the election, "mgld" ("modelgate leader"). One key
 * for every elected job (window checks, alert evaluation, rollout steps):
 * whoever holds it runs them all, so a job never runs on two replicas.
 */
export const LEADER_LOCK_KEY = 0x6d67_6c64;

export interface ElectedJob {
  name: string;
  periodMs: number;
  run: () => Promise<void>;
}

interface JobEntry {
  job: ElectedJob;
  timer?: NodeJS.Timeout;
  /** The run in flight, if any. */
  current?: Promise<void>;
}

export interface LeaderElectionOptions {
  /** How often a follower tries to take the lock, and the leader checks it still has its connection. */
  pollMs?: number;
  lockKey?: number;
}

/**
 * One replica is leader: it holds a session-level advisory lock
 * (`pg_try_advisory_lock`) on a dedicated connection, so the lock lives
 * exactly as long as that connection. When the leader dies or its connection
 * drops, PostgreSQL releases the lock and the next follower to poll takes it.
 * A pooled connection would hand the lock to whichever query borrowed it next.
 *
 * Jobs registered with `every()` run only while this process leads, one run
 * at a time per job; a run in progress when leadership is lost finishes, and
 * its writes must therefore be idempotent (they are keyed by window).
 */
export class LeaderElection {
  private client?: pg.Client;
  private leading = false;
  private stopped = true;
  private pollTimer?: NodeJS.Timeout;
  private readonly jobs: JobEntry[] = [];
  private readonly pollMs: number;
  private readonly lockKey: number;
  private readonly changeHandlers: ((leading: boolean) => void)[] = [];
  /**
   * A leader whose connection dropped waits a few polls before it contends
   * again: the replica that just lost its session is the suspect one, and
   * racing its followers for the lock it lost could win it straight back.
   */
  private contendAfter = 0;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
    options: LeaderElectionOptions = {},
  ) {
    this.pollMs = options.pollMs ?? 2_000;
    this.lockKey = options.lockKey ?? LEADER_LOCK_KEY;
  }

  get isLeader(): boolean {
    return this.leading;
  }

  /** Registers a job that runs every `periodMs` while this process is leader. */
  every(job: ElectedJob): void {
    const entry: JobEntry = { job };
    this.jobs.push(entry);
    if (this.leading) this.schedule(entry);
  }

  onChange(handler: (leading: boolean) => void): void {
    this.changeHandlers.push(handler);
  }

  /**
   * Runs every job once now if this process leads (tests and `run now`
   * endpoints). A job a timer is running already may have read its state
   * before the caller's change, so this waits for that run and starts a
   * fresh one rather than returning while it is still in flight.
   */
  async runAllNow(): Promise<boolean> {
    if (!this.leading) return false;
    for (const e of this.jobs) {
      while (e.current) await e.current;
      await this.runOnce(e);
    }
    return true;
  }

  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    await this.poll();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    this.setLeading(false);
    const c = this.client;
    this.client = undefined;
    // Ending the session releases the lock at once, so a successor need not wait for a timeout.
    await c?.end().catch(() => {});
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    try {
      const client = await this.connection();
      if (!this.leading && Date.now() >= this.contendAfter) {
        const r = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [this.lockKey]);
        if (r.rows[0]?.locked) this.setLeading(true);
      } else if (this.leading) {
        await client.query('SELECT 1');
      }
    } catch (err) {
      this.dropConnection(err as Error);
    }
    if (this.stopped) return;
    clearTimeout(this.pollTimer);
    this.pollTimer = setTimeout(() => void this.poll(), this.pollMs);
    this.pollTimer.unref();
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    const client = new pg.Client({ connectionString: this.url, keepAlive: true, connectionTimeoutMillis: 5_000 });
    client.on('error', (err) => {
      if (this.client === client) this.dropConnection(err);
    });
    client.on('end', () => {
      if (this.client === client) this.dropConnection();
    });
    await client.connect();
    await client.query(`SET application_name = 'modelgate-leader-election'`);
    this.client = client;
    return client;
  }

  private dropConnection(err?: Error): void {
    const c = this.client;
    this.client = undefined;
    if (this.leading) {
      this.logger.warn({ err: err?.message }, 'lost the leader connection; stepping down');
      this.contendAfter = Date.now() + 3 * this.pollMs;
    }
    this.setLeading(false);
    c?.end().catch(() => {});
  }

  private setLeading(leading: boolean): void {
    if (this.leading === leading) return;
    this.leading = leading;
    if (leading) {
      this.logger.info('elected leader: running window checks and alert evaluation');
      for (const e of this.jobs) this.schedule(e);
    } else {
      for (const e of this.jobs) clearTimeout(e.timer);
    }
    for (const h of this.changeHandlers) {
      try {
        h(leading);
      } catch (err) {
        this.logger.error({ err }, 'leader change handler failed');
      }
    }
  }

  private schedule(entry: JobEntry): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(async () => {
      await this.runOnce(entry);
      if (this.leading && !this.stopped) this.schedule(entry);
    }, entry.job.periodMs);
    entry.timer.unref();
  }

  /** One run at a time per job: a timer firing while one is in flight skips its turn. */
  private async runOnce(entry: JobEntry): Promise<void> {
    if (entry.current || !this.leading) return;
    const run = entry.job
      .run()
      .catch((err) => this.logger.error({ err, job: entry.job.name }, 'elected job failed'))
      .finally(() => {
        entry.current = undefined;
      });
    entry.current = run;
    await run;
  }
}
