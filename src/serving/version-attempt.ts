import type { FilledRow } from '../features/online-feature-fill.js';
import { AppError, isCallersMistake } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { FallbackReason, Metrics } from '../metrics/metrics.js';
import type { DecodedRow } from '../onnx/output-decoder.js';
import type { NumericMatrix } from './feature-reader.js';
import type { InferenceResults, LoadedVersion } from './loaded-version.js';
import type { RowsInput } from './prediction-rows.js';
import { QueueFull, RequestDeadlineExceeded } from './serving.errors.js';

export type InferenceFeeds = Parameters<LoadedVersion['run']>[0];

/** Why one version's try did not answer: a bounded reason for metrics, the detail for the error and the log. */
export interface Miss {
  version: number;
  reason: FallbackReason;
  detail: string;
  /** The error to answer with when nothing else answers (overload, deadline). */
  error?: AppError;
}

/** What one version runs: feature rows (the micro-batched matrix way) or feeds (the tensor way), and how many rows. */
export interface Work {
  n: number;
  /** The rows the version reads: for a version with online features, the filled rows (sent values, entity ids and looked-up values). */
  input?: RowsInput;
  /** Per row, the looked-up features served (value, source, age): only for a version with online features. */
  filled?: readonly FilledRow[];
  data?: NumericMatrix;
  feeds?: InferenceFeeds;
}

/** A version's answer to a request: decoded rows on the matrix way, and the run's raw outputs (this request's from `offset`). */
export interface Served {
  v: LoadedVersion;
  work: Work;
  decoded?: DecodedRow[];
  results: InferenceResults;
  offset: number;
}

/** What a try needs of the core: counters for shed work and the log for the version's failures. */
export interface AttemptContext {
  metrics: Metrics;
  logger: Logger;
}

/** One version's try on feature rows (`work.data`), through its micro-batcher: decoded rows, or why it could not answer. */
export async function attemptRows(ctx: AttemptContext, model: string, v: LoadedVersion, work: Work, started: number, timeoutMs?: number): Promise<Served | Miss> {
  const version = v.version;
  const n = work.n;
  if (!v.breaker.canPass(Date.now())) return { version, reason: 'circuit_open', detail: 'circuit open' };
  try {
    const opts = timeoutMs !== undefined ? { deadline: started + timeoutMs, timeoutMs } : undefined;
    const { results, offset } = await v.infer(work.data!, n, opts);
    // An inference cannot be stopped once it runs (on the event loop thread
    // it blocks every timer; in an inference thread it runs to the end):
    // lateness is judged when the answer arrives, and a version that keeps
    // being late opens its breaker.
    const late = lateness(model, v, started, timeoutMs);
    if (late) return late;
    v.breaker.onSuccess();
    return { v, work, decoded: v.decode(results, offset, n), results, offset };
  } catch (err) {
    // Shed before running: the version did nothing wrong, so its breaker is left alone.
    if (err instanceof QueueFull) {
      ctx.metrics.requestsShed.labels(model, 'queue_full').inc();
      return { version, reason: 'overloaded', detail: 'queue full', error: err };
    }
    if (err instanceof RequestDeadlineExceeded) {
      ctx.metrics.requestsShed.labels(model, 'deadline').inc();
      return { version, reason: 'deadline', detail: `not started within ${timeoutMs} ms`, error: err };
    }
    return failed(ctx, model, v, err);
  }
}

/**
 * One version's try on arbitrary feeds (a generic tensor model): no
 * micro-batching, since arbitrary shapes do not stack. An onnxruntime
 * failure is the version's (fallback, then 503), never the caller's.
 */
export async function attemptTensors(ctx: AttemptContext, model: string, v: LoadedVersion, work: Work, started: number, timeoutMs?: number): Promise<Served | Miss> {
  if (!v.breaker.canPass(Date.now())) return { version: v.version, reason: 'circuit_open', detail: 'circuit open' };
  try {
    const results = await v.run(work.feeds!);
    const late = lateness(model, v, started, timeoutMs);
    if (late) return late;
    v.breaker.onSuccess();
    return { v, work, results, offset: 0 };
  } catch (err) {
    return failed(ctx, model, v, err);
  }
}

function lateness(model: string, v: LoadedVersion, started: number, timeoutMs: number | undefined): Miss | undefined {
  if (timeoutMs === undefined || performance.now() - started <= timeoutMs) return undefined;
  v.breaker.onFailure(Date.now());
  return { version: v.version, reason: 'late', detail: `exceeded ${timeoutMs} ms`, error: new RequestDeadlineExceeded(model, v.version, timeoutMs) };
}

function failed(ctx: AttemptContext, model: string, v: LoadedVersion, err: unknown): Miss {
  if (isCallersMistake(err)) {
    v.breaker.onSuccess();
    throw err;
  }
  v.breaker.onFailure(Date.now());
  // The raw onnxruntime message goes to the log, never into a metric label.
  const message = (err as Error).message;
  ctx.logger.warn({ model, version: v.version, err: message.slice(0, 1000) }, 'inference failed');
  return { version: v.version, reason: 'failed', detail: `failed: ${message.split('\n')[0].slice(0, 200)}` };
}
