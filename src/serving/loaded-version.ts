import type { Tensor } from 'onnxruntime-node';
import type { ModelTask } from '../onnx/model-signature.js';
import type { OnnxSession } from '../onnx/onnx-session.js';
import { decodeRows, type DecodedRow, type OutputInterpretation } from '../onnx/output-decoder.js';
import { tabularFeeds, type TabularLayout } from '../onnx/tabular.js';
import type { ServingSpec } from '../registry/versions.service.js';
import { MicroBatcher } from './batching/micro-batcher.js';
import { CircuitBreaker, type CircuitBreakerOptions } from './routing/circuit-breaker.js';
import { FeatureReader, type NumericMatrix } from './feature-reader.js';

export type InferenceResults = Record<string, Tensor>;

/** One caller's rows inside a micro-batch, and where its answer goes. */
interface InferenceJob {
  rows: number;
  data: NumericMatrix;
  resolve: (r: { results: InferenceResults; offset: number }) => void;
  reject: (err: unknown) => void;
}

export interface BatchingOptions {
  maxBatchRows: number;
  maxWaitMs: number;
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
  private readonly batcher?: MicroBatcher<InferenceJob>;
  private batchBuffer?: NumericMatrix;

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
    if (layout && this.width > 0) {
      this.reader = new FeatureReader(spec.featureNames);
      this.batcher = new MicroBatcher<InferenceJob>({
        maxBatchRows: batching.maxBatchRows,
        maxWaitMs: batching.maxWaitMs,
        execute: (jobs, total) => this.execute(jobs, total),
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
    return this.float64 ? new Float64Array(rows * this.width) : new Float32Array(rows * this.width);
  }

  /** Runs rows through the micro-batcher; resolves with the batch's outputs and this caller's offset in them. */
  infer(data: NumericMatrix, rows: number): Promise<{ results: InferenceResults; offset: number }> {
    return new Promise((resolve, reject) => this.batcher!.submit({ rows, data, resolve, reject }));
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

  private async execute(jobs: InferenceJob[], totalRows: number): Promise<void> {
    if (jobs.length === 1) {
      await this.runJobs(jobs, jobs[0].data, totalRows);
      return;
    }
    const need = totalRows * this.width;
    if (!this.batchBuffer || this.batchBuffer.length < need) this.batchBuffer = this.allocate(Math.max(totalRows, 64));
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
