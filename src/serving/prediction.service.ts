import { Injectable } from '@nestjs/common';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { InjectLogger } from '../common/common.module.js';
import { AppError, isCallersMistake, ServiceUnavailable, ValidationFailed } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { uuidv7 } from '../common/ids.js';
import { type FallbackReason, Metrics, type Protocol } from '../metrics/metrics.js';
import { PredictionRecorder } from '../monitoring/telemetry/prediction-recorder.js';
import { LiveSketches } from '../monitoring/live/live-sketches.js';
import type { DecodedRow } from '../onnx/output-decoder.js';
import { AliasNotFound, ModelNotFound } from '../registry/registry.errors.js';
import type { NumericMatrix } from './feature-reader.js';
import { extraOutputs, fieldOf, inputRow, type PredictionRow, read, rowCount, type RowsInput, sameFeatures } from './prediction-rows.js';
import type { InferenceResults, LoadedVersion } from './loaded-version.js';
import { ModelRuntime } from './model-runtime.js';
import { RoutingTable } from './routing-table.js';
import { ModelNotServing, NoVersionAvailable, QueueFull, RequestDeadlineExceeded, TooManyRows } from './serving.errors.js';
import { ServingSync } from './serving-sync.js';
import { ShadowRunner } from './shadow-runner.js';

export type Target = { kind: 'routed'; stickyKey?: string } | { kind: 'version'; version: number } | { kind: 'alias'; alias: string };


export interface PredictAnswer {
  model: string;
  version: number;
  variant: string;
  fallback: boolean;
  predictions: PredictionRow[];
}

/** The answer plus the raw outputs of the run that served it (the V2 route returns tensors). */
export interface PredictOutcome {
  answer: PredictAnswer;
  served: LoadedVersion;
  results: InferenceResults;
  offset: number;
}

/** The version picked for a request and what to do if it cannot answer. */
export interface Choice {
  version: number;
  variant: string;
  fallback?: number;
  timeoutMs?: number;
  shadow: readonly number[];
  /** Share of requests copied to `shadow` (default 1). */
  shadowSample?: number;
  /** A pinned-version route: a first call starts the version's load in the background and answers LOADING. */
  pinned?: boolean;
}

/** Why one version's try did not answer: a bounded reason for metrics, the detail for the error and the log. */
interface Miss {
  version: number;
  reason: FallbackReason;
  detail: string;
  /** The error to answer with when nothing else answers (overload, deadline). */
  error?: AppError;
}

const NO_SHADOW: readonly number[] = [];

/** A tensor request (Open Inference Protocol on any model): its feeds, built for whichever version runs it. */
export interface TensorRequest {
  /** Feeds checked against version `v`'s signature, and the rows they hold; throws the caller's mistakes. */
  feedsFor(v: LoadedVersion): { feeds: InferenceFeeds; rows: number };
}

export type InferenceFeeds = Parameters<LoadedVersion['run']>[0];

export interface TensorOutcome {
  model: string;
  variant: string;
  fallback: boolean;
  served: LoadedVersion;
  results: InferenceResults;
  predictionIds: string[];
}

/**
 * The inference core both protocols call: pick the version (traffic policy,
 * pinned version or alias), read the rows with that version's compiled
 * reader, run them through its micro-batcher, fall back when it fails or is
 * too slow, record telemetry and metrics, and schedule shadow copies.
 */
@Injectable()
export class PredictionService {
  private readonly maxRows: number;
  private readonly defaultTimeoutMs: number;

  constructor(
    private readonly table: RoutingTable,
    private readonly runtime: ModelRuntime,
    private readonly sync: ServingSync,
    private readonly recorder: PredictionRecorder,
    private readonly metrics: Metrics,
    private readonly shadows: ShadowRunner,
    @InjectConfig() config: AppConfig,
    @InjectLogger() private readonly logger: Logger,
    private readonly sketches: LiveSketches,
  ) {
    this.maxRows = config.limits.maxRequestRows;
    this.defaultTimeoutMs = config.serving.defaultTimeoutMs;
    for (const warning of config.deprecations) logger.warn(warning);
  }

  /** Resolves where a request goes; throws for unknown models, aliases or unservable models. */
  choose(model: string, target: Target): Choice {
    const routing = this.table.get(model);
    if (!routing) {
      if (!this.sync.initialSyncDone) throw new ServiceUnavailable('NOT_READY', 'the routing table is still loading', {}, 1);
      throw new ModelNotFound(model);
    }
    if (target.kind === 'routed') {
      const plan = routing.plan;
      if (!plan.ok) throw new ModelNotServing(model, plan.message);
      const route = routing.router!.pick(target.stickyKey);
      return {
        version: route.version,
        variant: route.variant,
        fallback: plan.fallback,
        timeoutMs: plan.timeoutMs,
        shadow: plan.shadow,
        shadowSample: plan.shadowSample,
      };
    }
    if (target.kind === 'alias') {
      const version = routing.state.aliases[target.alias];
      if (version === undefined) throw new AliasNotFound(model, target.alias);
      return { version, variant: target.alias, shadow: NO_SHADOW, timeoutMs: this.defaultTimeoutMs };
    }
    return { version: target.version, variant: `v${target.version}`, shadow: NO_SHADOW, pinned: true, timeoutMs: this.defaultTimeoutMs };
  }

  /** The sticky source of a model's policy, so the HTTP edge reads only what it needs. */
  stickySource(model: string) {
    const plan = this.table.get(model)?.plan;
    return plan?.ok ? plan.sticky : undefined;
  }

  async predict(model: string, choice: Choice, input: RowsInput, protocol: Protocol): Promise<PredictAnswer> {
    return (await this.run(model, choice, input, protocol)).answer;
  }

  async run(model: string, choice: Choice, input: RowsInput, protocol: Protocol): Promise<PredictOutcome> {
    const started = performance.now();
    const n = rowCount(input);
    if (n === 0) throw new ValidationFailed(`${fieldOf(input)} must not be empty`, { field: fieldOf(input) });
    if (n > this.maxRows) throw new TooManyRows(n, this.maxRows);

    const primary = await this.loadedFor(model, choice);
    const misses: Miss[] = [];
    let served: LoadedVersion | undefined;
    let data: NumericMatrix | undefined;
    let decoded: DecodedRow[] | undefined;
    let raw: { results: InferenceResults; offset: number } | undefined;

    if (primary) {
      data = read(primary, input, n);
      const r = await this.attempt(model, primary, data, n, started, choice.timeoutMs);
      if ('reason' in r) misses.push(r);
      else {
        served = primary;
        ({ decoded, raw } = r);
      }
    } else {
      misses.push(this.notLoaded(model, choice.version));
    }

    let fellBack = false;
    if (!decoded && choice.fallback !== undefined && choice.fallback !== choice.version) {
      const fb = this.runtime.get(model, choice.fallback);
      if (fb) {
        const fbData = primary && data && sameFeatures(primary, fb) ? data : read(fb, input, n);
        const r = await this.attempt(model, fb, fbData, n, started);
        if ('reason' in r) misses.push(r);
        else {
          served = fb;
          ({ decoded, raw } = r);
          data = fbData;
          fellBack = true;
          this.metrics.fallbacks.labels(model, String(choice.version), String(fb.version), misses[0].reason).inc();
        }
      } else {
        misses.push(this.notLoaded(model, choice.fallback));
      }
    }
    if (!decoded || !served || !raw) {
      const h = this.metrics.servingHandles(model, choice.version, choice.variant, protocol);
      // Shed and late requests answer for themselves (OVERLOADED, DEADLINE_EXCEEDED) when nothing else could.
      const err = misses.find((m) => m.error)?.error ?? new NoVersionAvailable(model, misses.map((m) => ({ version: m.version, reason: m.detail })));
      h.requests.inc();
      h.errors(err.code).inc();
      this.sketches.observeError(model, choice.version, choice.variant, performance.now() - started);
      throw err;
    }

    const variant = fellBack ? 'fallback' : choice.variant;
    const latencyMs = performance.now() - started;
    const h = this.metrics.servingHandles(model, served.version, variant, protocol);
    h.requests.inc();
    h.rows.inc(n);
    h.duration.observe(latencyMs / 1000);

    const now = Date.now();
    const sampled = this.recorder.shouldSampleInputs();
    const multiclass = served.task === 'multiclass_classification';
    const predictions = new Array<PredictionRow>(n);
    for (let i = 0; i < n; i++) {
      const row = decoded[i] as PredictionRow;
      row.prediction_id = uuidv7(now);
      predictions[i] = row;
      this.recorder.record({
        id: row.prediction_id,
        model,
        version: served.version,
        variant,
        protocol,
        fallback: fellBack,
        createdAt: now,
        latencyMs,
        score: row.score ?? row.value,
        label: row.label,
        outputs: extraOutputs(row, multiclass),
        inputs: sampled ? inputRow(input, i, served.width) : undefined,
      });
    }
    // Drift: live sketches of this series' window (O(features) per row, no I/O).
    this.sketches.observe(model, served.version, variant, data!, served.width, n, predictions, latencyMs);
    if (fellBack) this.sketches.observeError(model, choice.version, choice.variant, latencyMs);
    if (choice.shadow.length && (choice.shadowSample === undefined || choice.shadowSample >= 1 || Math.random() < choice.shadowSample)) {
      this.shadows.schedule(model, choice.shadow, served, data!, input, n, predictions);
    }
    return { answer: { model, version: served.version, variant, fallback: fellBack, predictions }, served, ...raw };
  }

  /**
   * The core for requests that are tensors rather than feature rows (a
   * generic tensor model, or a graph whose inputs are not one feature
   * matrix): the same choice, row limit, breaker, deadline, fallback,
   * metrics, telemetry and prediction ids as `run`; no micro-batching,
   * since arbitrary shapes do not stack. An onnxruntime failure is the
   * version's (fallback, then 503), never the caller's.
   */
  async runTensors(model: string, choice: Choice, request: TensorRequest, protocol: Protocol): Promise<TensorOutcome> {
    const started = performance.now();
    const primary = await this.loadedFor(model, choice);
    const misses: Miss[] = [];
    let done: { served: LoadedVersion; results: InferenceResults; rows: number } | undefined;
    let fellBack = false;
    if (primary) {
      const r = await this.attemptTensors(model, primary, request, started, choice.timeoutMs);
      if ('reason' in r) misses.push(r);
      else done = { served: primary, ...r };
    } else {
      misses.push(this.notLoaded(model, choice.version));
    }
    if (!done && choice.fallback !== undefined && choice.fallback !== choice.version) {
      const fb = this.runtime.get(model, choice.fallback);
      if (!fb) misses.push(this.notLoaded(model, choice.fallback));
      else {
        const r = await this.attemptTensors(model, fb, request, started);
        if ('reason' in r) misses.push(r);
        else {
          done = { served: fb, ...r };
          fellBack = true;
          this.metrics.fallbacks.labels(model, String(choice.version), String(fb.version), misses[0].reason).inc();
        }
      }
    }
    if (!done) {
      const h = this.metrics.servingHandles(model, choice.version, choice.variant, protocol);
      const err = misses.find((m) => m.error)?.error ?? new NoVersionAvailable(model, misses.map((m) => ({ version: m.version, reason: m.detail })));
      h.requests.inc();
      h.errors(err.code).inc();
      throw err;
    }
    const { served, results, rows } = done;
    const variant = fellBack ? 'fallback' : choice.variant;
    const latencyMs = performance.now() - started;
    const h = this.metrics.servingHandles(model, served.version, variant, protocol);
    h.requests.inc();
    h.rows.inc(rows);
    h.duration.observe(latencyMs / 1000);
    const now = Date.now();
    const predictionIds = new Array<string>(rows);
    for (let i = 0; i < rows; i++) {
      const id = uuidv7(now);
      predictionIds[i] = id;
      this.recorder.record({ id, model, version: served.version, variant, protocol, fallback: fellBack, createdAt: now, latencyMs });
    }
    return { model, variant, fallback: fellBack, served, results, predictionIds };
  }

  private async attemptTensors(
    model: string,
    v: LoadedVersion,
    request: TensorRequest,
    started: number,
    timeoutMs?: number,
  ): Promise<{ results: InferenceResults; rows: number } | Miss> {
    const version = v.version;
    const { feeds, rows } = request.feedsFor(v);
    if (rows > this.maxRows) throw new TooManyRows(rows, this.maxRows);
    if (!v.breaker.canPass(Date.now())) return { version, reason: 'circuit_open', detail: 'circuit open' };
    try {
      const results = await v.run(feeds);
      if (timeoutMs !== undefined && performance.now() - started > timeoutMs) {
        v.breaker.onFailure(Date.now());
        return { version, reason: 'late', detail: `exceeded ${timeoutMs} ms`, error: new RequestDeadlineExceeded(model, version, timeoutMs) };
      }
      v.breaker.onSuccess();
      return { results, rows };
    } catch (err) {
      if (isCallersMistake(err)) {
        v.breaker.onSuccess();
        throw err;
      }
      v.breaker.onFailure(Date.now());
      // The raw onnxruntime message goes to the log, never into a metric label.
      this.logger.warn({ model, version, err: (err as Error).message.slice(0, 1000) }, 'inference failed');
      return { version, reason: 'failed', detail: `failed: ${(err as Error).message.split('\n')[0].slice(0, 200)}` };
    }
  }

  /** One version's try: decoded rows, or why it could not answer. */
  private async attempt(
    model: string,
    v: LoadedVersion,
    data: NumericMatrix,
    n: number,
    started: number,
    timeoutMs?: number,
  ): Promise<{ decoded: DecodedRow[]; raw: { results: InferenceResults; offset: number } } | Miss> {
    const version = v.version;
    if (!v.breaker.canPass(Date.now())) return { version, reason: 'circuit_open', detail: 'circuit open' };
    try {
      const opts = timeoutMs !== undefined ? { deadline: started + timeoutMs, timeoutMs } : undefined;
      const { results, offset } = await v.infer(data, n, opts);
      // onnxruntime blocks the event loop while it runs, so a timer could not
      // interrupt it: lateness is judged when the answer arrives, and a
      // version that keeps being late opens its breaker.
      if (timeoutMs !== undefined && performance.now() - started > timeoutMs) {
        v.breaker.onFailure(Date.now());
        return { version, reason: 'late', detail: `exceeded ${timeoutMs} ms`, error: new RequestDeadlineExceeded(model, version, timeoutMs) };
      }
      v.breaker.onSuccess();
      return { decoded: v.decode(results, offset, n), raw: { results, offset } };
    } catch (err) {
      // Shed before running: the version did nothing wrong, so its breaker is left alone.
      if (err instanceof QueueFull) {
        this.metrics.requestsShed.labels(model, 'queue_full').inc();
        return { version, reason: 'overloaded', detail: 'queue full', error: err };
      }
      if (err instanceof RequestDeadlineExceeded) {
        this.metrics.requestsShed.labels(model, 'deadline').inc();
        return { version, reason: 'deadline', detail: `not started within ${timeoutMs} ms`, error: err };
      }
      if (isCallersMistake(err)) {
        v.breaker.onSuccess();
        throw err;
      }
      v.breaker.onFailure(Date.now());
      // The raw onnxruntime message goes to the log, never into a metric label.
      const detail = `failed: ${(err as Error).message.split('\n')[0].slice(0, 200)}`;
      this.logger.warn({ model, version, err: (err as Error).message.slice(0, 1000) }, 'inference failed');
      return { version, reason: 'failed', detail };
    }
  }

  /**
   * The chosen version if loaded. A pinned call to an unrouted version that
   * is not loaded starts its load in the background and throws LOADING: a
   * load never runs on a request's path.
   */
  async loadedFor(model: string, choice: Choice): Promise<LoadedVersion | undefined> {
    const version = choice.version;
    const v = this.runtime.get(model, version);
    if (v || !choice.pinned) return v;
    // Routed versions are loaded (and retried) by the routing table.
    if (this.table.get(model)?.versions.includes(version)) return undefined;
    return this.runtime.onDemand(model, version);
  }

  private notLoaded(model: string, version: number): Miss {
    const f = this.runtime.lastFailure(model, version);
    return { version, reason: 'not_loaded', detail: f ? `not loaded (${f.message.slice(0, 200)})` : 'not loaded' };
  }
}
