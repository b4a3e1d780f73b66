import type { Tensor } from 'onnxruntime-node';
import type { ModelTask } from '../onnx/model-signature.js';
import type { OnnxSession } from '../onnx/onnx-session.js';
import { decodeRows, type DecodedRow, type OutputInterpretation } from '../onnx/output-decoder.js';
import { tabularFeeds, type TabularLayout } from '../onnx/tabular.js';
import type { ServingSpec } from '../registry/versions.service.js';
import { MicroBatcher } from './batching/micro-batcher.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './routing/circuit-breaker.js';
import { FeatureReader, type NumericMatrix } from './feature-reader.js';
import { MatrixSlab } from './matrix-slab.js';
import { QueueFull, RequestDeadlineExceeded } from './serving.errors.js';

export type InferenceResults = Record<string, Tensor>;

/** One caller's rows inside a micro-batch, and where its answer goes. */
interface InferenceJob {
  rows: number;
  data: NumericMatrix;
  resolve: (r: { results: InferenceResults; offset: number }) => void;
  reject: (err: unknown) => void;
  /** `performance.now()` past which the job is dropped instead of run. */
  deadline?: number;
  timeoutMs?: number;
  /** A shadow copy: admitted only into a half-empty queue, and the first work shed. */
  shadow?: boolean;
}

/** How one call enters the micro-batcher. */
export interface InferOptions {
  /** The request's deadline in `performance.now()` milliseconds, and the timeout it came from (for the message). */
  deadline?: number;
  timeoutMs?: number;
  shadow?: boolean;
}

export interface BatchingOptions {
  maxBatchRows: number;
  maxWaitMs: number;
  /** Rows that may wait per version before requests are shed (OVERLOADED). */
  maxQueuedRows?: number;
}

export interface InferenceObserver {
  (rows: number, seconds: number): void;
}

/**
 * A model version loaded in onnxruntime and warm, with everything its hot
 * path needs precomputed: the feature reader, the output interpretation,
 * the micro-batcher and the circuit breaker.
 */
export class LoadedVersion {
  readonly key: string;
  readonly reader?: FeatureReader;
  readonly width: number;
  readonly float64: boolean;
  readonly breaker: CircuitBreaker;
  lastUsed = Date.now();
  /** Epoch ms before which an on-demand load may not be evicted (0: any time). */
  residentUntil = 0;
  private readonly batcher?: MicroBatcher<InferenceJob>;
  private batchBuffer?: NumericMatrix;
  private readonly matrices: MatrixSlab;

  constructor(
    readonly spec: ServingSpec,
    readonly session: OnnxSession,
    readonly layout: TabularLayout | undefined,
    readonly interpretation: OutputInterpretation,
    batching: BatchingOptions,
    breaker: CircuitBreakerOptions,
    private readonly observe: InferenceObserver,
  ) {
    this.key = versionKey(spec.model, spec.version);
    this.width = spec.featureNames.length;
    this.float64 = layout?.kind === 'matrix' ? layout.input.datatype === 'FP64' : false;
    this.matrices = new MatrixSlab(this.float64);
    if (layout && this.width > 0) {
      this.reader = new FeatureReader(spec.featureNames, spec.onlineFeatures?.entities, Object.keys(spec.onlineFeatures?.features ?? {}));
      this.batcher = new MicroBatcher<InferenceJob>({
        maxBatchRows: batching.maxBatchRows,
        maxWaitMs: batching.maxWaitMs,
        maxQueuedRows: batching.maxQueuedRows,
        execute: (jobs, total) => this.execute(jobs, total),
        sheddable: (job) => job.shadow === true,
        onShed: (job) => job.reject(this.queueFull(job.rows)),
      });
    }
    this.breaker = new CircuitBreaker(breaker);
  }

  get model(): string {
    return this.spec.model;
  }
  get version(): number {
    return this.spec.version;
  }
  get task(): ModelTask {
    return this.spec.task;
  }
  get tabular(): boolean {
    return this.batcher !== undefined;
  }

  /** A matrix of the right element type for `rows` rows of this version's features. */
  allocate(rows: number): NumericMatrix {
    return this.matrices.allocate(rows * this.width);
  }

  /**
   * Runs rows through the micro-batcher; resolves with the batch's outputs
   * and this caller's offset in them. Rejects at once with OVERLOADED when
   * the queue is full, and with DEADLINE_EXCEEDED (not run) when the
   * deadline passed before its batch started.
   */
  infer(data: NumericMatrix, rows: number, opts?: InferOptions): Promise<{ results: InferenceResults; offset: number }> {
    return new Promise((resolve, reject) => {
      const job: InferenceJob = { rows, data, resolve, reject, deadline: opts?.deadline, timeoutMs: opts?.timeoutMs, shadow: opts?.shadow };
      if (this.batcher!.submit(job)) reject(this.queueFull(rows));
    });
  }

  /** Rows waiting in the batch queue (not counting the batch in flight). */
  get queuedRows(): number {
    return this.batcher?.queuedRows ?? 0;
  }

  /** Live rows wait behind a batch in flight, a full batch or more of them: the version is at capacity. */
  get backlogged(): boolean {
    return this.batcher?.backlogged ?? false;
  }

  /** Runs arbitrary feeds (Open Inference Protocol on non-tabular models); no batching. */
  async run(feeds: Record<string, Tensor>): Promise<InferenceResults> {
    const t0 = performance.now();
    const out = await this.session.run(feeds);
    this.observe(0, (performance.now() - t0) / 1000);
    return out;
  }

  decode(results: InferenceResults, offset: number, rows: number): DecodedRow[] {
    return decodeRows(this.interpretation, results, offset, rows);
  }

  async release(): Promise<void> {
    await this.batcher?.drain();
    await this.session.release();
  }

  private queueFull(rows: number): QueueFull {
    return new QueueFull(this.model, this.version, rows, this.batcher!.queuedRows, this.batcher!.maxQueuedRowsBound);
  }

  private async execute(all: InferenceJob[], allRows: number): Promise<void> {
    // A job whose deadline passed while it queued is not run: its caller
    // has been answered by the fallback or a 504 by the time it would finish.
    let jobs = all;
    let totalRows = allRows;
    const now = performance.now();
    if (all.some((j) => j.deadline !== undefined && j.deadline <= now)) {
      jobs = [];
      totalRows = 0;
      for (const j of all) {
        if (j.deadline !== undefined && j.deadline <= now) j.reject(new RequestDeadlineExceeded(this.model, this.version, j.timeoutMs ?? 0));
        else {
          jobs.push(j);
          totalRows += j.rows;
        }
      }
      if (!jobs.length) return;
    }
    if (jobs.length === 1) {
      await this.runJobs(jobs, jobs[0].data, totalRows);
      return;
    }
    const need = totalRows * this.width;
    if (!this.batchBuffer || this.batchBuffer.length < need) {
      // Kept for the version's life: an array of its own, not a slab view.
      const n = Math.max(totalRows, 64) * this.width;
      this.batchBuffer = this.float64 ? new Float64Array(n) : new Float32Array(n);
    }
    const buf = this.batchBuffer.subarray(0, need);
    let at = 0;
    for (const j of jobs) {
      buf.set(j.data, at);
      at += j.data.length;
    }
    const ok = await this.runJobs(jobs, buf, totalRows, true);
    // One caller's bad row must not fail the others it was batched with:
    // when a shared run fails, each caller's rows run again on their own.
    if (!ok) for (const j of jobs) await this.runJobs([j], j.data, j.rows);
  }

  private async runJobs(jobs: InferenceJob[], data: NumericMatrix, rows: number, shared = false): Promise<boolean> {
    let results: InferenceResults;
    let feeds;
    try {
      feeds = tabularFeeds(this.layout!, data, rows);
    } catch (err) {
      // A value the input type cannot hold (NaN into an int64 input) is the
      // caller's error, not the version's: reject without a shared retry.
      if (shared) return false;
      for (const j of jobs) j.reject(err);
      return true;
    }
    const t0 = performance.now();
    try {
      results = await this.session.run(feeds);
    } catch (err) {
      if (shared) return false;
      for (const j of jobs) j.reject(err);
      return false;
    }
    this.observe(rows, (performance.now() - t0) / 1000);
    let offset = 0;
    for (const j of jobs) {
      j.resolve({ results, offset });
      offset += j.rows;
    }
    return true;
  }
}

export function versionKey(model: string, version: number): string {
  return `${model}@${version}`;
}
