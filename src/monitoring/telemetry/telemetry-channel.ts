import { RingBuffer } from './ring-buffer.js';
import type { Statement } from './telemetry-sql.js';

const UNIQUE_VIOLATION = '23505';

export type Query = (sql: string, params: unknown[]) => Promise<unknown>;

/** What a channel reports; the recorder turns it into metrics and log lines. */
export interface ChannelEvents {
  /** `rows` stored by one batch that took `seconds` to serialise and insert. */
  written(rows: number, seconds: number): void;
  /** Records that can never be stored, dropped. */
  rejected(count: number, err?: unknown): void;
  /** A statement failed; `retrying` is false when it failed because of its records, not the database. */
  failed(err: unknown, retrying: boolean): void;
}

/**
 * The queue of one telemetry kind and the loop that writes it: batches of
 * up to `batchSize` records, oldest first, each as one statement. A batch
 * leaves the queue only once it is stored, so while the database is away
 * records wait (bounded by the queue) and the next flush retries them. A
 * batch the database refuses because of its contents is split until the
 * offending record is found and dropped, so one bad record cannot block
 * the queue forever.
 */
export class TelemetryChannel<T> {
  readonly queue: RingBuffer<T>;

  constructor(
    capacity: number,
    private readonly batchSize: number,
    private readonly statement: (records: readonly T[]) => Statement,
    private readonly query: Query,
    private readonly events: ChannelEvents,
  ) {
    this.queue = new RingBuffer<T>(capacity);
  }

  /**
   * Writes what is queued now (not what arrives meanwhile, so a steady
   * stream cannot keep one flush going forever). Stops at the first
   * database failure, or before a new statement once `deadline` (epoch ms)
   * has passed. Resolves true when everything it set out to write is stored.
   */
  async flush(deadline = Infinity): Promise<boolean> {
    let batches = Math.ceil(this.queue.length / this.batchSize);
    while (batches-- > 0 && this.queue.length > 0) {
      if (Date.now() > deadline) return false;
      const batch = this.queue.peek(this.batchSize);
      const done = await this.write(batch);
      this.queue.discard(done);
      if (done < batch.length) return false;
    }
    return true;
  }

  /**
   * A unique violation means this batch (or part of it) was stored by an
   * attempt whose answer was lost: the conflict-tolerant form stores the rest.
   */
  private async insert(stmt: Statement): Promise<void> {
    try {
      await this.query(stmt.sql, stmt.params);
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code !== UNIQUE_VIOLATION) throw err;
      await this.query(stmt.retrySql, stmt.params);
    }
  }

  /** Stores `batch` as far as it can; returns how many records from its front are done with (stored or dropped). */
  private async write(batch: readonly T[]): Promise<number> {
    // Timed from serialisation on: that part runs on the event loop that serves requests.
    const t0 = performance.now();
    const stmt = this.statement(batch);
    if (stmt.rows > 0) {
      try {
        await this.insert(stmt);
      } catch (err) {
        const recordsAtFault = isDataError(err);
        this.events.failed(err, !recordsAtFault);
        if (!recordsAtFault) return 0;
        if (batch.length === 1) {
          this.events.rejected(1, err);
          return 1;
        }
        const half = batch.length >>> 1;
        const first = await this.write(batch.slice(0, half));
        if (first < half) return first;
        return half + (await this.write(batch.slice(half)));
      }
      this.events.written(stmt.rows, (performance.now() - t0) / 1000);
    }
    if (stmt.rejected > 0) this.events.rejected(stmt.rejected);
    return batch.length;
  }
}

/**
 * SQLSTATE classes that blame the values sent, not the server: 22 (data
 * exception: bad uuid, bad JSON), 23 (integrity constraint) and 54 (program
 * limit, e.g. an oversized jsonb). Everything else, including errors
 * without a SQLSTATE (connection refused or reset), is an outage to wait out.
 */
export function isDataError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.length === 5 && (code.startsWith('22') || code.startsWith('23') || code.startsWith('54'));
}
