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
  /**
   * Rows that may wait in the queue (not counting the batch in flight);
   * `submit` refuses a job that would pass it, except into an empty queue.
   * Default: unbounded.
   */
  maxQueuedRows?: number;
  /**
   * Jobs the batcher may drop to make room for others (shadow copies): they
   * are admitted only while the queue is under half its bound, and a job
   * that does not fit pushes them out, newest first. `onShed` settles each.
   */
  sheddable?: (job: J) => boolean;
  onShed?: (job: J) => void;
}

/** Why `submit` refused a job. */
export type Refusal = 'queue_full';

/**
 * Coalesces concurrent jobs for one model version into one inference.
 *
 * At most one batch is in flight: jobs that arrive meanwhile queue, and as
 * soon as it finishes they leave together (up to `maxBatchRows`) without
 * waiting again, since they have already waited. That is what makes batches
 * grow with load while an idle server answers a lone request after at most
 * `maxWaitMs`.
 *
 * On the event loop thread (`MODELGATE_INFERENCE_THREADS=0`, the default)
 * onnxruntime-node's `run()` returns a promise but runs the inference
 * synchronously in a setImmediate callback, blocking the event loop. The
 * end of a batch is therefore handled in the microtasks that follow that
 * callback: the in-flight batch is settled, and the next one started, before
 * the event loop reads any more I/O. Nothing here relies on I/O being read
 * while an inference runs; requests read before the inference simply queue.
 * In an inference thread the loop reads on meanwhile and the
 * jobs read queue for the next batch. More than one batch in flight made
 * batches smaller and the messages per request more (measured on /v1), so
 * one it stays there too.
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
  private readonly maxQueuedRows: number;
  private readonly sheddable?: (job: J) => boolean;
  private readonly onShed?: (job: J) => void;

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
  private _shed = 0;

  constructor(options: MicroBatcherOptions<J>) {
    this.maxBatchRows = Math.floor(options.maxBatchRows);
    this.maxWaitMs = Math.max(0, options.maxWaitMs);
    this.execute = options.execute;
    this.onError = options.onError;
    this.batching = this.maxBatchRows > 1;
    this.maxQueuedRows = options.maxQueuedRows ?? Number.POSITIVE_INFINITY;
    this.sheddable = options.sheddable;
    this.onShed = options.onShed;
  }

  /** Queues a job; returns why it was refused instead (the caller settles a refused job), or undefined. */
  submit(job: J): Refusal | undefined {
    if (!this.batching) {
      this.start([job], job.rows);
      return undefined;
    }
    const refused = this.admit(job);
    if (refused) return refused;
    this.queue.push(job);
    this.queued += job.rows;
    if (this.running > 0) return undefined;
    if (this.queued >= this.maxBatchRows) {
      this.pump();
      return undefined;
    }
    if (this.timer === undefined && this.immediate === undefined) {
      if (this.maxWaitMs === 0) this.immediate = setImmediate(this.waitEnded);
      else this.timer = setTimeout(this.waitEnded, this.maxWaitMs);
    }
    return undefined;
  }

  /** Bounds the queue by rows; sheddable jobs get half of it and make way for the others. */
  private admit(job: J): Refusal | undefined {
    if (this.maxQueuedRows === Number.POSITIVE_INFINITY || this.queued === 0) return undefined;
    if (this.sheddable?.(job)) return this.queued + job.rows > this.maxQueuedRows / 2 ? 'queue_full' : undefined;
    if (this.queued + job.rows <= this.maxQueuedRows) return undefined;
    if (this.sheddable) this.shedFor(job.rows);
    return this.queued > 0 && this.queued + job.rows > this.maxQueuedRows ? 'queue_full' : undefined;
  }

  /** Drops queued sheddable jobs, newest first, until `rows` more fit. */
  private shedFor(rows: number): void {
    const q = this.queue;
    for (let i = q.length - 1; i >= this.head && this.queued + rows > this.maxQueuedRows; i--) {
      if (!this.sheddable!(q[i])) continue;
      const [dropped] = q.splice(i, 1);
      this.queued -= dropped.rows;
      this._shed++;
      try {
        this.onShed?.(dropped);
      } catch {
        // A failing shed hook must not fail the job that made room.
      }
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
  get maxQueuedRowsBound(): number {
    return this.maxQueuedRows;
  }
  /** Sheddable jobs dropped from the queue to make room. */
  get shedJobs(): number {
    return this._shed;
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
  /**
   * Live work waits for capacity, not for company: a batch is in flight and
   * the rows queued behind it fill at least the next batch. One request
   * waiting out `maxWaitMs` for others to join is no backlog; a sequential
   * client's next request sits there after every answer.
   */
  get backlogged(): boolean {
    return this.running > 0 && this.queued >= this.maxBatchRows;
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
