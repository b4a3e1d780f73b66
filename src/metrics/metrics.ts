import { Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { type CounterChild, FastCounter, FastHistogram, type HistogramChild } from './fast-metrics.js';

/** Request latency: 0.5 ms to 5 s. */
export const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5] as const;
/** One onnxruntime run of a tree model costs ~20 us, far below the request buckets. */
export const INFERENCE_BUCKETS = [0.00002, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1] as const;
export const BATCH_ROW_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024] as const;
export const LOAD_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120] as const;
export const FLUSH_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/** Every metric this service defines; dashboards, alert rules and their tests may use only these. */
export const METRIC_NAMES = [
  'modelgate_predictions_total',
  'modelgate_prediction_requests_total',
  'modelgate_prediction_errors_total',
  'modelgate_prediction_duration_seconds',
  'modelgate_inference_duration_seconds',
  'modelgate_inference_batch_rows',
  'modelgate_loaded_versions',
  'modelgate_model_loaded',
  'modelgate_model_load_duration_seconds',
  'modelgate_model_load_failures_total',
  'modelgate_model_loads_total',
  'modelgate_routed_versions',
  'modelgate_serving_revision',
  'modelgate_leader',
  'modelgate_requests_shed_total',
  'modelgate_fallback_total',
  'modelgate_shadow_predictions_total',
  'modelgate_shadow_duration_seconds',
  'modelgate_circuit_open',
  'modelgate_telemetry_dropped_total',
  'modelgate_telemetry_queue_depth',
  'modelgate_telemetry_flushed_total',
  'modelgate_telemetry_flush_failures_total',
  'modelgate_telemetry_flush_duration_seconds',
  'modelgate_http_requests_total',
  'modelgate_http_request_duration_seconds',
  'modelgate_rate_limited_total',
] as const;

/** The edge a prediction came through: `/v1`, V2 REST or V2 gRPC. */
export type Protocol = 'v1' | 'v2' | 'grpc';
/**
 * Why the fallback answered: a short fixed set, so the series count stays
 * bounded whatever onnxruntime says (its message goes to the log).
 */
export type FallbackReason = 'failed' | 'late' | 'circuit_open' | 'not_loaded' | 'overloaded' | 'deadline';
export const FALLBACK_REASONS: readonly FallbackReason[] = ['failed', 'late', 'circuit_open', 'not_loaded', 'overloaded', 'deadline'];
/** Why a request (or a shadow copy) was not run: `queue_full`, `deadline`, `shadow_queue_full`, `shadow_sampled_out` is not shedding. */
export type ShedReason = 'queue_full' | 'deadline' | 'shadow_queue_full';
/** Why a version was loaded: routed by a serving revision, or asked for by a pinned/alias call. */
export type LoadReason = 'routed' | 'on_demand' | 'repository';
export type TelemetryKind = 'prediction' | 'shadow';

/** The series one serving route writes per request, cached per (model, version, variant, protocol). */
export interface ServingHandles {
  /** Requests. */
  readonly requests: CounterChild;
  /** Predicted rows (a request may carry many). */
  readonly rows: CounterChild;
  /** Request latency in seconds. */
  readonly duration: HistogramChild;
  /** The error counter for a stable error code (cached per code). */
  errors(code: string): CounterChild;
}

export interface ShadowHandles {
  /** The counter for an outcome such as `ok`, `error`, `timeout` (cached per outcome). */
  outcome(outcome: string): CounterChild;
  readonly duration: HistogramChild;
}

/** Per-route HTTP series; the status counter is cached per status code. */
export interface HttpHandles {
  readonly duration: HistogramChild;
  status(code: number): CounterChild;
}

/**
 * Every metric Modelgate exports, in one registry per application instance
 * (tests boot several instances in one process, and prom-client's global
 * registry would mix their numbers). Dashboards and alert rules depend on
 * these names: rename one only together with them.
 */
@Injectable()
export class Metrics {
  readonly registry = new Registry();

  readonly predictions = this.counter('modelgate_predictions_total', 'Predicted rows.', ['model', 'version', 'variant', 'protocol']);
  readonly predictionRequests = this.counter('modelgate_prediction_requests_total', 'Prediction requests.', ['model', 'version', 'variant', 'protocol']);
  readonly predictionErrors = this.counter('modelgate_prediction_errors_total', 'Prediction requests that failed, by error code.', [
    'model',
    'version',
    'variant',
    'protocol',
    'code',
  ]);
  readonly predictionDuration = this.histogram(
    'modelgate_prediction_duration_seconds',
    'Prediction request latency inside the gateway.',
    ['model', 'version', 'variant', 'protocol'],
    LATENCY_BUCKETS,
  );
  readonly inferenceDuration = this.histogram('modelgate_inference_duration_seconds', 'One onnxruntime run.', ['model', 'version'], INFERENCE_BUCKETS);
  readonly inferenceBatchRows = this.histogram('modelgate_inference_batch_rows', 'Rows per onnxruntime run.', ['model', 'version'], BATCH_ROW_BUCKETS);

  readonly loadedVersions = new Gauge({ name: 'modelgate_loaded_versions', help: 'Model versions loaded in onnxruntime.', registers: [this.registry] });
  readonly modelLoaded = new Gauge<'model' | 'version'>({
    name: 'modelgate_model_loaded',
    help: '1 while a model version is loaded.',
    labelNames: ['model', 'version'],
    registers: [this.registry],
  });
  readonly modelLoadDuration = this.histogram('modelgate_model_load_duration_seconds', 'Fetching, loading and warming a version.', ['model'], LOAD_BUCKETS);
  readonly modelLoadFailures = this.counter('modelgate_model_load_failures_total', 'Versions that failed to load.', ['model', 'version']);
  readonly modelLoads = this.counter('modelgate_model_loads_total', 'Loads started, by why (routed, on_demand); rate() gives loads per minute.', ['model', 'reason']);
  readonly routedVersions = new Gauge({
    name: 'modelgate_routed_versions',
    help: 'Versions the routing table needs loaded; above MODELGATE_MAX_LOADED_VERSIONS all of them stay loaded anyway.',
    registers: [this.registry],
  });
  readonly servingRevision = new Gauge<'model' | 'state'>({
    name: 'modelgate_serving_revision',
    help: 'Serving revision of a model on this replica: applied (serving now), and pending (newer, waiting until its versions load here; absent when none waits).',
    labelNames: ['model', 'state'],
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'modelgate_leader',
    help: '1 on the replica that leads the elected jobs (window checks, alert evaluation, rollout steps), 0 elsewhere.',
    registers: [this.registry],
  });
  readonly requestsShed = this.counter('modelgate_requests_shed_total', 'Requests and shadow copies not run because the service was overloaded or their deadline passed.', [
    'model',
    'reason',
  ]);

  readonly fallbacks = this.counter('modelgate_fallback_total', 'Requests answered by the fallback version.', ['model', 'from_version', 'to_version', 'reason']);
  readonly shadowPredictions = this.counter('modelgate_shadow_predictions_total', 'Shadow requests by outcome.', ['model', 'version', 'outcome']);
  readonly shadowDuration = this.histogram('modelgate_shadow_duration_seconds', 'Shadow request latency.', ['model', 'version'], LATENCY_BUCKETS);
  readonly circuitOpen = new Gauge<'model' | 'version'>({
    name: 'modelgate_circuit_open',
    help: '1 while the circuit breaker of a version is open.',
    labelNames: ['model', 'version'],
    registers: [this.registry],
  });

  readonly telemetryDropped = this.counter('modelgate_telemetry_dropped_total', 'Telemetry records dropped (queue full or unstorable).', ['kind']);
  readonly telemetryQueueDepth: Gauge<'kind'>;
  readonly telemetryFlushed = this.counter('modelgate_telemetry_flushed_total', 'Telemetry records written to the database.', ['kind']);
  readonly telemetryFlushFailures = this.counter('modelgate_telemetry_flush_failures_total', 'Telemetry flush statements that failed.', ['kind']);
  readonly telemetryFlushDuration = this.histogram('modelgate_telemetry_flush_duration_seconds', 'Serialising and inserting one telemetry batch.', ['kind'], FLUSH_BUCKETS);

  readonly rateLimited = this.counter('modelgate_rate_limited_total', 'Requests refused by a rate limit, by budget.', ['budget']);
  readonly httpRequests = this.counter('modelgate_http_requests_total', 'HTTP requests by route pattern and status.', ['method', 'route', 'status']);
  readonly httpDuration = this.histogram('modelgate_http_request_duration_seconds', 'HTTP request latency by route pattern.', ['method', 'route'], LATENCY_BUCKETS);

  private readonly queueDepthProbes = new Map<string, () => number>();
  private readonly serving = new Map<string, Map<number, Map<string, [ServingHandles?, ServingHandles?, ServingHandles?]>>>();
  private readonly shadows = new Map<string, Map<number, ShadowHandles>>();
  private readonly http = new Map<string, HttpHandles>();

  constructor() {
    const probes = this.queueDepthProbes;
    // Read at scrape time, so the queue's hot path never touches the gauge.
    this.telemetryQueueDepth = new Gauge<'kind'>({
      name: 'modelgate_telemetry_queue_depth',
      help: 'Telemetry records waiting to be written.',
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        for (const [kind, depth] of probes) this.set({ kind }, depth());
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private source?: () => Promise<string>;

  /** The whole registry in Prometheus text format (with MODELGATE_WORKERS above 1, every worker's, combined). */
  render(): Promise<string> {
    return this.source ? this.source() : this.registry.metrics();
  }

  /** Renders `/metrics` from elsewhere: a cluster worker asks its primary for every worker's registry combined. */
  renderWith(source: () => Promise<string>): void {
    this.source = source;
  }

  /**
   * The per-request series of one serving route. Cheap enough per request
   * (nested lookups, no key string built), cheaper still when kept on the
   * routing-table entry.
   */
  servingHandles(model: string, version: number | string, variant: string, protocol: Protocol): ServingHandles {
    const v = typeof version === 'number' ? version : Number(version);
    let byVersion = this.serving.get(model);
    if (!byVersion) this.serving.set(model, (byVersion = new Map()));
    let byVariant = byVersion.get(v);
    if (!byVariant) byVersion.set(v, (byVariant = new Map()));
    let byProtocol = byVariant.get(variant);
    if (!byProtocol) byVariant.set(variant, (byProtocol = [undefined, undefined, undefined]));
    const slot = protocol === 'v1' ? 0 : protocol === 'v2' ? 1 : 2;
    return (byProtocol[slot] ??= this.createServingHandles(model, String(v), variant, protocol));
  }

  private createServingHandles(model: string, v: string, variant: string, protocol: Protocol): ServingHandles {
    const errorsByCode = new Map<string, CounterChild>();
    const errorCounter = this.predictionErrors;
    return {
      requests: this.predictionRequests.labels(model, v, variant, protocol),
      rows: this.predictions.labels(model, v, variant, protocol),
      duration: this.predictionDuration.labels(model, v, variant, protocol),
      errors(code: string) {
        let c = errorsByCode.get(code);
        if (!c) errorsByCode.set(code, (c = errorCounter.labels(model, v, variant, protocol, code)));
        return c;
      },
    };
  }

  /** `(rows, seconds)` for each onnxruntime run of a version; `rows` 0 means a run that is not row-batched. */
  inferenceObserver(model: string, version: number | string): (rows: number, seconds: number) => void {
    const v = String(version);
    const duration = this.inferenceDuration.labels(model, v);
    const rows = this.inferenceBatchRows.labels(model, v);
    return (n, seconds) => {
      duration.observe(seconds);
      if (n > 0) rows.observe(n);
    };
  }

  /** The series of one shadow version; cheap enough per request, like servingHandles. */
  shadowHandles(model: string, version: number | string): ShadowHandles {
    const v = typeof version === 'number' ? version : Number(version);
    let byVersion = this.shadows.get(model);
    if (!byVersion) this.shadows.set(model, (byVersion = new Map()));
    let h = byVersion.get(v);
    if (!h) {
      const byOutcome = new Map<string, CounterChild>();
      const counter = this.shadowPredictions;
      const label = String(v);
      h = {
        duration: this.shadowDuration.labels(model, label),
        outcome(outcome: string) {
          let c = byOutcome.get(outcome);
          if (!c) byOutcome.set(outcome, (c = counter.labels(model, label, outcome)));
          return c;
        },
      };
      byVersion.set(v, h);
    }
    return h;
  }

  /** `route` is the route pattern (`/v1/models/:name/predict`) or `unmatched`, never a raw URL. */
  httpHandles(method: string, route: string): HttpHandles {
    const key = `${method} ${route}`;
    let h = this.http.get(key);
    if (!h) {
      const byStatus = new Map<number, CounterChild>();
      const counter = this.httpRequests;
      h = {
        duration: this.httpDuration.labels(method, route),
        status(code: number) {
          let c = byStatus.get(code);
          if (!c) byStatus.set(code, (c = counter.labels(method, route, code)));
          return c;
        },
      };
      this.http.set(key, h);
    }
    return h;
  }

  /** Exports a queue's depth as `modelgate_telemetry_queue_depth{kind}`, read at scrape time. */
  trackQueueDepth(kind: TelemetryKind, depth: () => number): void {
    this.queueDepthProbes.set(kind, depth);
  }

  /**
   * Stops exporting every per-version series of a version that will not
   * serve again (its model was deleted). Handles resolved earlier stop
   * being exported, so call it only once nothing serves the version.
   */
  forgetVersion(model: string, version: number | string): void {
    const v = String(version);
    for (const m of [this.predictions, this.predictionRequests, this.predictionErrors, this.predictionDuration]) m.removeMatching({ model, version: v });
    for (const m of [this.inferenceDuration, this.inferenceBatchRows, this.shadowDuration, this.shadowPredictions, this.modelLoadFailures]) {
      m.removeMatching({ model, version: v });
    }
    this.modelLoaded.remove({ model, version: v });
    this.circuitOpen.remove({ model, version: v });
    this.serving.get(model)?.delete(Number(version));
    this.shadows.get(model)?.delete(Number(version));
  }

  private counter<L extends string>(name: string, help: string, labelNames: readonly L[]): FastCounter<L> {
    return new FastCounter<L>({ name, help, labelNames, registers: [this.registry] });
  }

  private histogram<L extends string>(name: string, help: string, labelNames: readonly L[], buckets: readonly number[]): FastHistogram<L> {
    return new FastHistogram<L>({ name, help, labelNames, buckets, registers: [this.registry] });
  }
}
