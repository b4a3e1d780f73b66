export interface MicroBatcherOptions<J> {
  /** Rows at which a batch closes at once; 1 or less turns batching off. */
  maxBatchRows: number;
  /**
   * How long the first job of a batch waits for company. 0: until the end of
   * the current event-loop turn (setImmediate), so every request already read
   * from the sockets in this turn joins; more: a timer of that many ms.
   */
  maxWaitMs: number;
  /**
   * Runs one batch. It owns settling every job it is given, also when it
   * fails: the batcher only groups jobs and never settles them.
   */
  execute: (jobs: J[], totalRows: number) => void | Promise<void>;
  /** Hears an `execute` that threw or rejected; the batcher carries on with the next batch. */
  onError?: (err: unknown) => void;
}

/**
 * Coalesces concurrent jobs for one model version into one inference.
 *
 * At most one batch is in flight: jobs that arrive meanwhile queue, and as
 * soon as it finishes they leave together (up to `maxBatchRows`) without
 * waiting again, since they have already waited. That is what makes batches
 * grow with load while an idle server answers a lone request after at most
 * `maxWaitMs`.
 *
 * onnxruntime-node's `run()` returns a promise but runs the inference
 * synchronously in a setImmediate callback, blocking the event loop. The
 * end of a batch is therefore handled in the microtasks that follow that
 * callback: the in-flight batch is settled, and the next one started, before
 * the event loop reads any more I/O. Nothing here relies on I/O being read
 * while an inference runs; requests read before the inference simply queue.
 *
 * With batching off every job is executed as it is submitted, concurrently,
 * as a bare server would.
 */
export class MicroBatcher<J extends { rows: number }> {
  readonly maxBatchRows: number;
  readonly maxWaitMs: number;
  private readonly execute: (jobs: J[], totalRows: number) => void | Promise<void>;
  private readonly onError?: (err: unknown) => void;
  private readonly batching: boolean;

  // A FIFO as an array and a head index: shift() would copy on every batch.
  private queue: J[] = [];
  private head = 0;
  private queued = 0;
  private takenRows = 0;
  private running = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private drainWaiters: (() => void)[] = [];

  // Bound once: the hot path passes these to timers and promises instead of
  // making a closure per batch.
  private readonly waitEnded = (): void => {
    this.timer = undefined;
    this.immediate = undefined;
    this.pump();
  };
  private readonly batchDone = (): void => {
    this.running--;
    this.pump();
  };
  private readonly batchFailed = (err: unknown): void => {
    this.running--;
    this.report(err);
    this.pump();
  };

  private _batches = 0;
  private _jobs = 0;
  private _rows = 0;
  private _failures = 0;
  private _largest = 0;

  constructor(options: MicroBatcherOptions<J>) {
    this.maxBatchRows = Math.floor(options.maxBatchRows);
    this.maxWaitMs = Math.max(0, options.maxWaitMs);
    this.execute = options.execute;
    this.onError = options.onError;
    this.batching = this.maxBatchRows > 1;
  }

  submit(job: J): void {
    if (!this.batching) {
      this.start([job], job.rows);
      return;
    }
    this.queue.push(job);
    this.queued += job.rows;
    if (this.running > 0) return;
    if (this.queued >= this.maxBatchRows) {
      this.pump();
      return;
    }
    if (this.timer === undefined && this.immediate === undefined) {
      if (this.maxWaitMs === 0) this.immediate = setImmediate(this.waitEnded);
      else this.timer = setTimeout(this.waitEnded, this.maxWaitMs);
    }
  }

  /** Resolves once nothing is queued or in flight; a waiting batch leaves at once instead of at the end of its wait. */
  drain(): Promise<void> {
    if (this.idle) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.drainWaiters.push(resolve));
    this.pump();
    return done;
  }

  get idle(): boolean {
    return this.running === 0 && this.head === this.queue.length;
  }
  /** Batches handed to `execute` so far. */
  get batchesRun(): number {
    return this._batches;
  }
  get jobsRun(): number {
    return this._jobs;
  }
  get rowsRun(): number {
    return this._rows;
  }
  /** Rows of the largest batch so far. */
  get largestBatchRows(): number {
    return this._largest;
  }
  /** Executions that threw or rejected. */
  get failures(): number {
    return this._failures;
  }
  get queuedJobs(): number {
    return this.queue.length - this.head;
  }
  get queuedRows(): number {
    return this.queued;
  }
  get inFlight(): number {
    return this.running;
  }

  /** Starts batches from the queue while nothing is in flight: a synchronous `execute` lets the next one start at once. */
  private pump(): void {
    while (this.running === 0 && this.head < this.queue.length) {
      this.cancelWait();
      const batch = this.takeBatch();
      this.start(batch, this.takenRows);
    }
    if (this.idle && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  }

  /** The longest run of queued jobs from the front within `maxBatchRows`; a larger job leaves alone. */
  private takeBatch(): J[] {
    const q = this.queue;
    let end = this.head;
    let rows = q[end++].rows;
    while (end < q.length && rows + q[end].rows <= this.maxBatchRows) rows += q[end++].rows;
    const batch = q.slice(this.head, end);
    this.queued -= rows;
    if (end === q.length) {
      q.length = 0;
      this.head = 0;
    } else {
      this.head = end;
      // Under sustained overload the consumed prefix is dropped now and then,
      // not on every batch.
      if (this.head >= 1024 && this.head * 2 >= q.length) {
        q.splice(0, this.head);
        this.head = 0;
      }
    }
    this.takenRows = rows;
    return batch;
  }

  private start(batch: J[], rows: number): void {
    this._batches++;
    this._jobs += batch.length;
    this._rows += rows;
    if (rows > this._largest) this._largest = rows;
    this.running++;
    let result: void | Promise<void>;
    try {
      result = this.execute(batch, rows);
    } catch (err) {
      this.running--;
      this.report(err);
      return;
    }
    if (result !== undefined && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(this.batchDone, this.batchFailed);
    } else {
      this.running--;
    }
  }

  private cancelWait(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.immediate !== undefined) {
      clearImmediate(this.immediate);
      this.immediate = undefined;
    }
  }

  private report(err: unknown): void {
    this._failures++;
    if (!this.onError) return;
    try {
      this.onError(err);
    } catch {
      // A failing error hook must not take the batcher down with it.
    }
  }
}
