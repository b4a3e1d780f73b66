import { Injectable } from '@nestjs/common';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { InjectLogger } from '../common/common.module.js';
import { ServiceUnavailable, ValidationFailed } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { uuidv7 } from '../common/ids.js';
import { type FilledRow, lookedUp, type RequestRow } from '../features/online-feature-fill.js';
import { OnlineFeatureResolver } from '../features/online-feature-resolver.js';
import type { OnlineFeaturesBlock } from '../features/online-features.js';
import { Metrics, type Protocol } from '../metrics/metrics.js';
import { PredictionRecorder } from '../monitoring/telemetry/prediction-recorder.js';
import { LiveSketches } from '../monitoring/live/live-sketches.js';
import type { DecodedRow } from '../onnx/output-decoder.js';
import { AliasNotFound, ModelNotFound } from '../registry/registry.errors.js';
import { type RouteKind, type RouteRef, type Target, targetOf } from './edge-target.js';
import { type Choice, type InferOutcome, isTensors, type Payload, takesMatrix, type TensorPayload } from './inference-payload.js';
import type { LoadedVersion } from './loaded-version.js';
import { ModelRuntime } from './model-runtime.js';
import { extraOutputs, fieldOf, inputRow, type PredictionRow, read, rowCount, type RowsInput, sameFeatures } from './prediction-rows.js';
import { RoutingTable } from './routing-table.js';
import type { HeaderBag } from './routing/traffic-router.js';
import { ModelNotServing, NoVersionAvailable, TooManyRows } from './serving.errors.js';
import { ServingSync } from './serving-sync.js';
import { ShadowRunner } from './shadow-runner.js';
import { attemptRows, attemptTensors, type AttemptContext, type Miss, type Served, type Work } from './version-attempt.js';

const NO_SHADOW: readonly number[] = [];
const NO_ROWS = new Float64Array(0);
const NO_ANSWERS: readonly DecodedRow[] = [];

/** The filled rows as named instances, merged only if something reads them (sampled inputs, a shadow of another feature order). */
function mergedRows(filled: readonly FilledRow[]): RowsInput {
  let merged: unknown[] | undefined;
  return {
    get instances() {
      return (merged ??= filled.map((r) => r.values));
    },
  };
}

/** Whether two versions' online-features blocks fill a request the same way (a fallback may then reuse the filled rows). */
function sameBlock(a: OnlineFeaturesBlock | null | undefined, b: OnlineFeaturesBlock | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The one inference core every edge calls (`/v1`, V2 REST, gRPC): the edge
 * decodes (model, target, payload), `infer` picks the version (traffic
 * policy, pinned version or alias), decides for the version that actually
 * serves (the chosen one or its fallback) whether the request goes the
 * matrix way (its compiled reader, its micro-batcher, decoded rows) or the
 * tensor way (a generic model's feeds), runs it behind the breaker and the
 * deadline, falls back, and records metrics, telemetry, live drift sketches
 * and error windows, and schedules shadow copies, the same for rows and
 * tensors. The edge encodes the answer.
 */
@Injectable()
export class InferenceCore {
  private readonly maxRows: number;
  private readonly defaultTimeoutMs: number;
  private readonly ctx: AttemptContext;

  constructor(
    private readonly table: RoutingTable,
    private readonly runtime: ModelRuntime,
    private readonly sync: ServingSync,
    private readonly recorder: PredictionRecorder,
    private readonly metrics: Metrics,
    private readonly shadows: ShadowRunner,
    @InjectConfig() config: AppConfig,
    @InjectLogger() logger: Logger,
    private readonly sketches: LiveSketches,
    private readonly resolver: OnlineFeatureResolver,
  ) {
    this.maxRows = config.limits.maxRequestRows;
    this.defaultTimeoutMs = config.serving.defaultTimeoutMs;
    this.ctx = { metrics, logger };
    for (const warning of config.deprecations) logger.warn(warning);
  }

  /**
   * The target of a request on a route of `kind`: see `targetOf`. The model's
   * sticky source is looked up only for a routed request.
   */
  target(model: string, kind: RouteKind, ref: RouteRef, headers: HeaderBag, body: unknown, extra?: unknown): Target {
    if (kind !== 'routed') return targetOf(kind, ref, undefined, headers, body);
    const plan = this.table.get(model)?.plan;
    return targetOf(kind, ref, plan?.ok ? plan.sticky : undefined, headers, body, extra);
  }

  /** Runs one request end to end; rejects with the error the edge maps (unknown model, caller's mistake, no version, overload, deadline). */
  infer(model: string, target: Target, payload: Payload, protocol: Protocol): Promise<InferOutcome> {
    let choice: Choice;
    try {
      choice = this.choose(model, target);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.serve(model, choice, payload, protocol);
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

  private async serve(model: string, choice: Choice, payload: Payload, protocol: Protocol): Promise<InferOutcome> {
    const started = performance.now();
    const rowsIn = isTensors(payload) ? undefined : payload;
    const n = rowsIn ? this.checkedRows(rowsIn) : 0;
    // No await on the hot path: only a pinned version not loaded yet waits (to answer LOADING).
    const primary = this.runtime.get(model, choice.version) ?? (choice.pinned ? await this.onDemand(model, choice.version) : undefined);
    const misses: Miss[] = [];
    let done: Served | Miss | undefined;
    let first: Work | undefined;
    if (primary) {
      const named = this.lookupRows(primary, payload, rowsIn);
      first = named ? await this.filledWork(model, primary, named).catch((err) => this.fillFailed(model, choice, protocol, started, err)) : this.workFor(primary, payload, rowsIn, n);
      done = await this.tryOn(model, primary, first, started, choice.timeoutMs);
      if ('reason' in done) misses.push(done);
    } else {
      misses.push(this.notLoaded(model, choice.version));
    }

    let fellBack = false;
    if ((!done || 'reason' in done) && choice.fallback !== undefined && choice.fallback !== choice.version) {
      const fb = this.runtime.get(model, choice.fallback);
      if (fb) {
        const named = this.lookupRows(fb, payload, rowsIn);
        const reuse = rowsIn && first?.data && sameFeatures(primary!, fb) && sameBlock(primary!.spec.onlineFeatures, fb.spec.onlineFeatures);
        const work = reuse ? first! : named ? await this.filledWork(model, fb, named).catch((err) => this.fillFailed(model, choice, protocol, started, err)) : this.workFor(fb, payload, rowsIn, n);
        done = await this.tryOn(model, fb, work, started);
        if ('reason' in done) misses.push(done);
        else {
          fellBack = true;
          this.metrics.fallbacks.labels(model, String(choice.version), String(fb.version), misses[0].reason).inc();
        }
      } else {
        misses.push(this.notLoaded(model, choice.fallback));
      }
    }
    if (!done || 'reason' in done) {
      const h = this.metrics.servingHandles(model, choice.version, choice.variant, protocol);
      // Shed and late requests answer for themselves (OVERLOADED, DEADLINE_EXCEEDED) when nothing else could.
      const err = misses.find((m) => m.error)?.error ?? new NoVersionAvailable(model, misses.map((m) => ({ version: m.version, reason: m.detail })));
      h.requests.inc();
      h.errors(err.code).inc();
      this.sketches.observeError(model, choice.version, choice.variant, performance.now() - started);
      throw err;
    }
    return this.answered(model, choice, payload, done, fellBack, protocol, started);
  }

  /** Metrics, telemetry, sketches and shadows of a served request, and its answer. */
  private answered(model: string, choice: Choice, payload: Payload, done: Served, fellBack: boolean, protocol: Protocol, started: number): InferOutcome {
    const { v: served, work } = done;
    const n = work.n;
    const variant = fellBack ? 'fallback' : choice.variant;
    const latencyMs = performance.now() - started;
    const h = this.metrics.servingHandles(model, served.version, variant, protocol);
    h.requests.inc();
    h.rows.inc(n);
    h.duration.observe(latencyMs / 1000);

    const now = Date.now();
    const predictions = new Array<PredictionRow>(n);
    const decoded = done.decoded;
    if (decoded) {
      const input = work.input!;
      const sampled = this.recorder.shouldSampleInputs();
      const multiclass = served.task === 'multiclass_classification';
      const filled = work.filled;
      const explain = filled !== undefined && payload.explainFeatures === true;
      for (let i = 0; i < n; i++) {
        const row = decoded[i] as PredictionRow;
        row.prediction_id = uuidv7(now);
        if (explain) row.features = filled[i].features;
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
          inputs: sampled ? inputRow(input, i, served.width, filled) : undefined,
          lookedUp: filled !== undefined && lookedUp(filled[i]),
        });
      }
      // Drift: live sketches of this series' window (O(features) per row, no I/O).
      this.sketches.observe(model, served.version, variant, work.data!, served.width, n, predictions, latencyMs);
    } else {
      for (let i = 0; i < n; i++) {
        const id = uuidv7(now);
        predictions[i] = { prediction_id: id };
        this.recorder.record({ id, model, version: served.version, variant, protocol, fallback: fellBack, createdAt: now, latencyMs });
      }
      this.observeTensors(model, served, variant, payload as TensorPayload, n, latencyMs);
    }
    if (fellBack) this.sketches.observeError(model, choice.version, choice.variant, latencyMs);
    if (choice.shadow.length && (choice.shadowSample === undefined || choice.shadowSample >= 1 || Math.random() < choice.shadowSample)) {
      // Filled rows (online features) go to shadows as the values served, whatever edge they came from.
      if (work.filled) this.shadows.schedule(model, choice.shadow, served, work.data!, work.input!, n, predictions, work.filled);
      else if (isTensors(payload)) this.shadows.scheduleTensors(model, choice.shadow, served, payload, work.data, n, predictions);
      else this.shadows.schedule(model, choice.shadow, served, work.data!, payload, n, predictions);
    }
    return {
      answer: { model, version: served.version, variant, fallback: fellBack, predictions },
      served,
      results: done.results,
      batched: decoded !== undefined,
      offset: done.offset,
      rows: n,
    };
  }

  /**
   * The tensor way's window: requests, rows and latency, and the feature
   * columns when the version has feature inputs (a generic tensor model
   * over named features). There is no decoded answer to sketch.
   */
  private observeTensors(model: string, v: LoadedVersion, variant: string, payload: TensorPayload, n: number, latencyMs: number): void {
    if (v.reader) {
      try {
        const m = payload.matrixFor(v);
        if (m.rows === n) return this.sketches.observe(model, v.version, variant, m.data, m.width, n, NO_ANSWERS, latencyMs);
      } catch {
        // Its feeds held, so its features hold too; if not, the window still counts the request.
      }
    }
    this.sketches.observe(model, v.version, variant, NO_ROWS, 0, n, NO_ANSWERS, latencyMs);
  }

  /** What version `v` runs for this request: the rows read with its reader, or the tensors as its matrix or feeds. */
  private workFor(v: LoadedVersion, payload: Payload, rowsIn: RowsInput | undefined, n: number): Work {
    if (rowsIn) return { n, input: rowsIn, data: read(v, rowsIn, n) };
    const p = payload as TensorPayload;
    p.check(v);
    if (takesMatrix(v)) {
      const input: RowsInput = { matrix: p.matrixFor(v) };
      const rows = this.checkedRows(input);
      return { n: rows, input, data: read(v, input, rows) };
    }
    const { feeds, rows } = p.feedsFor(v);
    if (rows > this.maxRows) throw new TooManyRows(rows, this.maxRows);
    return { n: rows, feeds };
  }

  /**
   * The named rows a version with online features fills: `/v1` instances,
   * or tensors sent with entity keys (V2 REST, gRPC); undefined otherwise
   * (no block, ordered rows, every feature sent as tensors). Synchronous and
   * first: a version without online features pays one property read.
   */
  private lookupRows(v: LoadedVersion, payload: Payload, rowsIn: RowsInput | undefined): RowsInput | undefined {
    const block = v.spec.onlineFeatures;
    if (!block) return undefined;
    if (rowsIn) return rowsIn.instances ? rowsIn : undefined;
    if (!takesMatrix(v)) return undefined;
    const p = payload as TensorPayload;
    const instances = p.namedRows(v, block.entities);
    if (!instances) return undefined;
    p.check(v);
    return { instances };
  }

  /**
   * The work of a version with online features: the request's named rows
   * filled from the store (one read per batch, shared with the batches of
   * this turn), then read as any rows. Throws the resolver's 400, 422
   * FEATURE_MISSING or 503 FEATURE_STORE_UNAVAILABLE.
   */
  private async filledWork(model: string, v: LoadedVersion, rowsIn: RowsInput): Promise<Work> {
    const rows = rowsIn.instances!;
    const n = this.checkedRows(rowsIn);
    for (let r = 0; r < n; r++) {
      const o = rows[r];
      if (o === null || typeof o !== 'object' || Array.isArray(o)) {
        throw new ValidationFailed(`instances.${r} must be an object of feature values`, { field: `instances.${r}` });
      }
    }
    const batch = await this.resolver.fill(model, v.version, v.spec.onlineFeatures!, rows as readonly RequestRow[]);
    const filled = batch.rows;
    if (!v.reader) return { n, input: mergedRows(filled), data: read(v, mergedRows(filled), n), filled };
    const data = v.allocate(n);
    v.reader.readFilled(filled, data);
    return { n, input: mergedRows(filled), data, filled };
  }

  /**
   * A fill that failed because the store could not answer (503) is the
   * service's failure, not the caller's: counted as the request's error and
   * in its series' error window, like a version that could not answer. A
   * caller's mistake (400, 422 FEATURE_MISSING) is not.
   */
  private fillFailed(model: string, choice: Choice, protocol: Protocol, started: number, err: unknown): never {
    if (err instanceof ServiceUnavailable) {
      const h = this.metrics.servingHandles(model, choice.version, choice.variant, protocol);
      h.requests.inc();
      h.errors(err.code).inc();
      this.sketches.observeError(model, choice.version, choice.variant, performance.now() - started);
    }
    throw err;
  }

  /** One version's try, the way its work goes: no extra promise between the core and the version. */
  private tryOn(model: string, v: LoadedVersion, work: Work, started: number, timeoutMs?: number): Promise<Served | Miss> {
    return work.data !== undefined ? attemptRows(this.ctx, model, v, work, started, timeoutMs) : attemptTensors(this.ctx, model, v, work, started, timeoutMs);
  }

  private checkedRows(input: RowsInput): number {
    const n = rowCount(input);
    if (n === 0) throw new ValidationFailed(`${fieldOf(input)} must not be empty`, { field: fieldOf(input) });
    if (n > this.maxRows) throw new TooManyRows(n, this.maxRows);
    return n;
  }

  /**
   * A pinned call to an unrouted version that is not loaded starts its load
   * in the background and throws LOADING: a load never runs on a request's
   * path. Routed versions are loaded (and retried) by the routing table.
   */
  private async onDemand(model: string, version: number): Promise<LoadedVersion | undefined> {
    if (this.table.get(model)?.versions.includes(version)) return undefined;
    return this.runtime.onDemand(model, version);
  }

  private notLoaded(model: string, version: number): Miss {
    const f = this.runtime.lastFailure(model, version);
    return { version, reason: 'not_loaded', detail: f ? `not loaded (${f.message.slice(0, 200)})` : 'not loaded' };
  }
}
