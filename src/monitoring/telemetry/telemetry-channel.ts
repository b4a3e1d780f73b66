const UNIQUE_VIOLATION = '23505';

/** A run of queued records that can be cut in two: an array, or the encoded rows of EncodedRowQueue. */
export interface Batch {
  readonly length: number;
  slice(start: number, end?: number): this;
}

/** Where a channel reads from: bounded, two-phase (peek, then discard what was stored). */
export interface BatchQueue<B extends Batch> {
  readonly length: number;
  peek(n: number): B;
  discard(n: number): number;
}

/** A batch made ready for the database. */
export interface Prepared {
  /** Records it stores. */
  rows: number;
  /** Records that cannot be stored at all (not JSON-serialisable, wrong types); the channel drops and counts them. */
  rejected: number;
}

/** How one telemetry kind turns a batch into a statement and stores it. */
export interface TelemetrySink<B, P extends Prepared = Prepared> {
  prepare(batch: B): P;
  /**
   * Stores a prepared batch; with `skipStored`, rows already stored are
   * skipped (the retry after a unique violation, when an earlier attempt
   * committed but its answer was lost).
   */
  store(prepared: P, skipStored: boolean): Promise<void>;
}

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
export class TelemetryChannel<B extends Batch, Q extends BatchQueue<B> = BatchQueue<B>> {
  constructor(
    readonly queue: Q,
    private readonly batchSize: number,
    private readonly sink: TelemetrySink<B>,
    private readonly events: ChannelEvents,
  ) {}

  /**
   * Writes what is queued now (not what arrives meanwhile, so a steady
   * stream cannot keep one flush going forever). Stops at the first
   * database failure, or before a new statement once `deadline` (epoch ms)
   * has passed. Resolves true when everything it set out to write is stored.
   */
  async flush(deadline = Infinity): Promise<boolean> {
    let left = this.queue.length;
    while (left > 0 && this.queue.length > 0) {
      if (Date.now() > deadline) return false;
      const batch = this.queue.peek(this.batchSize);
      if (batch.length === 0) break;
      const done = await this.write(batch);
      this.queue.discard(done);
      left -= done;
      if (done < batch.length) return false;
    }
    return true;
  }

  /**
   * A unique violation means this batch (or part of it) was stored by an
   * attempt whose answer was lost: the conflict-tolerant form stores the rest.
   */
  private async insert(prepared: Prepared): Promise<void> {
    try {
      await this.sink.store(prepared, false);
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code !== UNIQUE_VIOLATION) throw err;
      await this.sink.store(prepared, true);
    }
  }

  /** Stores `batch` as far as it can; returns how many records from its front are done with (stored or dropped). */
  private async write(batch: B): Promise<number> {
    // Timed from serialisation on: that part runs on the event loop that serves requests.
    const t0 = performance.now();
    const stmt = this.sink.prepare(batch);
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
