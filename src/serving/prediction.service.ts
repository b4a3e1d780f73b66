import { Injectable } from '@nestjs/common';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { AppError, ServiceUnavailable, ValidationFailed } from '../common/errors.js';
import { uuidv7 } from '../common/ids.js';
import { Metrics, type Protocol } from '../metrics/metrics.js';
import { PredictionRecorder } from '../monitoring/telemetry/prediction-recorder.js';
import { LiveSketches } from '../monitoring/live/live-sketches.js';
import type { DecodedRow } from '../onnx/output-decoder.js';
import { AliasNotFound, ModelNotFound } from '../registry/registry.errors.js';
import type { NumericMatrix } from './feature-reader.js';
import { extraOutputs, fieldOf, inputRow, type PredictionRow, read, rowCount, type RowsInput, sameFeatures } from './prediction-rows.js';
import type { InferenceResults, LoadedVersion } from './loaded-version.js';
import { ModelRuntime } from './model-runtime.js';
import { RoutingTable } from './routing-table.js';
import { ModelNotServing, NoVersionAvailable, TooManyRows } from './serving.errors.js';
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
  /** A pinned-version route: the version may be loaded on its first request. */
  pinned?: boolean;
}

const NO_SHADOW: readonly number[] = [];

/**
 * The inference core both protocols call: pick the version (traffic policy,
 * pinned version or alias), read the rows with that version's compiled
 * reader, run them through its micro-batcher, fall back when it fails or is
 * too slow, record telemetry and metrics, and schedule shadow copies.
 */
@Injectable()
export class PredictionService {
  private readonly maxRows: number;

  constructor(
    private readonly table: RoutingTable,
    private readonly runtime: ModelRuntime,
    private readonly sync: ServingSync,
    private readonly recorder: PredictionRecorder,
    private readonly metrics: Metrics,
    private readonly shadows: ShadowRunner,
    @InjectConfig() config: AppConfig,
    private readonly sketches: LiveSketches,
  ) {
    this.maxRows = config.limits.maxBatchRows;
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
      return { version: route.version, variant: route.variant, fallback: plan.fallback, timeoutMs: plan.timeoutMs, shadow: plan.shadow };
    }
    if (target.kind === 'alias') {
      const version = routing.state.aliases[target.alias];
      if (version === undefined) throw new AliasNotFound(model, target.alias);
      return { version, variant: target.alias, shadow: NO_SHADOW };
    }
    return { version: target.version, variant: `v${target.version}`, shadow: NO_SHADOW, pinned: true };
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
    const attempts: { version: number; reason: string }[] = [];
    let served: LoadedVersion | undefined;
    let data: NumericMatrix | undefined;
    let decoded: DecodedRow[] | undefined;
    let raw: { results: InferenceResults; offset: number } | undefined;

    if (primary) {
      data = read(primary, input, n);
      const r = await this.attempt(primary, data, n, started, choice.timeoutMs);
      if (typeof r === 'string') attempts.push({ version: primary.version, reason: r });
      else {
        served = primary;
        ({ decoded, raw } = r);
      }
    } else {
      attempts.push({ version: choice.version, reason: this.notLoadedReason(model, choice.version) });
    }

    let fellBack = false;
    if (!decoded && choice.fallback !== undefined && choice.fallback !== choice.version) {
      const fb = this.runtime.get(model, choice.fallback);
      if (fb) {
        const fbData = primary && data && sameFeatures(primary, fb) ? data : read(fb, input, n);
        const r = await this.attempt(fb, fbData, n, started);
        if (typeof r === 'string') attempts.push({ version: fb.version, reason: r });
        else {
          served = fb;
          ({ decoded, raw } = r);
          data = fbData;
          fellBack = true;
          this.metrics.fallbacks.labels(model, String(choice.version), String(fb.version), attempts[0]?.reason ?? 'error').inc();
        }
      } else {
        attempts.push({ version: choice.fallback, reason: this.notLoadedReason(model, choice.fallback) });
      }
    }
    if (!decoded || !served || !raw) {
      const h = this.metrics.servingHandles(model, choice.version, choice.variant, protocol);
      h.requests.inc();
      h.errors('NO_VERSION_AVAILABLE').inc();
      this.sketches.observeError(model, choice.version, choice.variant, performance.now() - started);
      throw new NoVersionAvailable(model, attempts);
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
    if (choice.shadow.length) this.shadows.schedule(model, choice.shadow, served, data!, input, n, predictions);
    return { answer: { model, version: served.version, variant, fallback: fellBack, predictions }, served, ...raw };
  }

  /** One version's try: decoded rows, or why it could not answer. */
  private async attempt(
    v: LoadedVersion,
    data: NumericMatrix,
    n: number,
    started: number,
    timeoutMs?: number,
  ): Promise<{ decoded: DecodedRow[]; raw: { results: InferenceResults; offset: number } } | string> {
    const now = Date.now();
    if (!v.breaker.canPass(now)) return 'circuit open';
    try {
      const { results, offset } = await v.infer(data, n);
      // onnxruntime blocks the event loop while it runs, so a timer could not
      // interrupt it: lateness is judged when the answer arrives, and a
      // version that keeps being late opens its breaker.
      if (timeoutMs !== undefined && performance.now() - started > timeoutMs) {
        v.breaker.onFailure(Date.now());
        return `exceeded ${timeoutMs} ms`;
      }
      v.breaker.onSuccess();
      return { decoded: v.decode(results, offset, n), raw: { results, offset } };
    } catch (err) {
      if (err instanceof AppError && err.status < 500) {
        v.breaker.onSuccess();
        throw err;
      }
      v.breaker.onFailure(Date.now());
      return `failed: ${(err as Error).message.split('\n')[0].slice(0, 200)}`;
    }
  }

  /** The chosen version if loaded; a pinned version that is not loaded yet is loaded now (first pin). */
  async loadedFor(model: string, choice: Choice): Promise<LoadedVersion | undefined> {
    const version = choice.version;
    const v = this.runtime.get(model, version);
    if (v || !choice.pinned) return v;
    const routing = this.table.get(model);
    const routed = routing?.versions.includes(version);
    // Routed versions are loaded by the routing table; only a pin on an
    // unrouted version may load on the request path.
    if (routed) return undefined;
    try {
      return await this.runtime.load(model, version);
    } catch (err) {
      if (err instanceof AppError && err.status < 500) throw err;
      return undefined;
    }
  }

  private notLoadedReason(model: string, version: number): string {
    const f = this.runtime.lastFailure(model, version);
    return f ? `not loaded (${f.message.slice(0, 200)})` : 'not loaded';
  }
}
