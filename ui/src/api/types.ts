/**
 * The API's answers as the console reads them, written by hand from the
 * service's views (src/registry/registry.views.ts, drift-check.record.ts,
 * performance.service.ts, alerts.service.ts, api-key.dto.ts). Only the
 * fields the console uses are typed; the OpenAPI document at /docs-json has
 * the whole shapes.
 */

export type Scope = 'admin' | 'registry:read' | 'registry:write' | 'predict' | 'feedback' | 'monitor:read' | 'monitor:write' | 'approve' | 'features:write';

export interface KeySelf {
  id: string;
  name: string;
  scopes: Scope[];
  models: string[] | null;
}

export interface TrafficRoute {
  version?: number;
  alias?: string;
  weight: number;
  name?: string;
}

export interface TrafficPolicy {
  routes: TrafficRoute[];
  sticky?: string;
  shadow?: number[];
  fallback?: number;
  timeout_ms?: number;
  shadow_sample?: number;
}

export interface Model {
  name: string;
  task: string;
  description: string;
  owner: string | null;
  tags: Record<string, string>;
  latest_version: number;
  aliases: Record<string, number>;
  traffic_policy: TrafficPolicy | null;
  serving_revision: number;
  created_at: string;
  updated_at: string;
}

export interface ModelList {
  models: Model[];
  next_cursor: string | null;
}

export interface TensorSpec {
  name: string;
  type?: string;
  datatype?: string;
  shape: (number | string | null)[];
}

export interface Version {
  model: string;
  version: number;
  status: string;
  description: string;
  tags: Record<string, string>;
  aliases: string[];
  artifact: { sha256: string; size_bytes: number };
  signature: { inputs?: TensorSpec[]; outputs?: TensorSpec[] } & Record<string, unknown>;
  feature_names: string[] | null;
  categorical_features: string[] | null;
  label_column: string | null;
  score_output: string | null;
  metrics: Record<string, number>;
  lineage: Record<string, unknown>;
  created_by: string;
  created_at: string;
}

export interface VersionList {
  versions: Version[];
  next_cursor: string | null;
}

export interface NumericSketch {
  type: 'numeric';
  count: number;
  missing: number;
  edges: number[];
  counts: number[];
  mean: number;
  std: number;
  min: number;
  max: number;
  quantiles: Record<string, number>;
}

export interface CategoricalSketch {
  type: 'categorical';
  count: number;
  missing: number;
  frequencies: Record<string, number>;
}

export type FeatureSketch = NumericSketch | CategoricalSketch;

export interface BaselineSketch {
  rows?: number;
  features: Record<string, FeatureSketch>;
  prediction?: FeatureSketch | null;
}

export interface BaselineAnswer {
  model: string;
  version: number;
  baseline: BaselineSketch | null;
}

export interface ServingState {
  aliases: Record<string, number>;
  traffic: TrafficPolicy | null;
}

export interface Revision {
  revision: number;
  change: string;
  alias: string | null;
  actor: string;
  reason: string | null;
  restored_revision: number | null;
  created_at: string;
  before: ServingState;
  after: ServingState;
}

export interface History {
  model: string;
  revisions: Revision[];
  next_cursor: string | null;
}

export interface FeatureDrift {
  feature: string;
  kind: 'numeric' | 'categorical';
  method: string[];
  psi: number | null;
  ks_statistic: number | null;
  ks_p_value: number | null;
  chi2_p_value: number | null;
  js_distance: number | null;
  samples: number;
  drifted: boolean;
  live_counts?: number[] | Record<string, number>;
}

export interface DataQuality {
  feature: string;
  kind: 'numeric' | 'categorical';
  missing_rate: number;
  out_of_range_rate: number | null;
  unseen_rate: number | null;
  unseen_count: number | null;
  violations: string[];
}

export interface DriftCheck {
  id: string;
  version: number;
  variant: string;
  window_start: string;
  window_end: string;
  rows: number;
  judged: boolean;
  features: FeatureDrift[];
  drifted_features: string[];
  prediction: FeatureDrift | null;
  prediction_drifted: boolean;
  data_quality: DataQuality[];
  data_quality_failed: string[];
  error_rate: number;
  latency_p99_ms: number | null;
}

export interface DriftAnswer {
  model: string;
  checks: DriftCheck[];
  next_cursor: string | null;
}

export interface WindowMetrics {
  window_start: string;
  window_end: string;
  predictions: number;
  labels: number;
  auc: number | null;
  accuracy: number | null;
  log_loss: number | null;
  /** CBPE estimates from the scores alone (docs/estimates.md): present only where the version can be estimated and the bucket has scores; `estimated_auc` is null when the scores expect under one of a class. */
  estimated_auc?: Band | null;
  estimated_accuracy?: Band;
  estimated_positive_rate?: Band;
}

/** An estimate with its 95% band. */
export interface Band {
  value: number;
  low: number;
  high: number;
}

/** Whether a series' version can be estimated, or why not. */
export type SeriesEstimate =
  | { available: true; calibration_error: number; max_calibration_error: number }
  | { available: false; reason: 'no_calibration' | 'poorly_calibrated' | 'not_binary'; message: string };

export interface PerformanceSeries {
  version: number;
  variant: string;
  validation: Record<string, number>;
  window: WindowMetrics;
  buckets: WindowMetrics[];
  /** Absent from a service older than the estimates. */
  estimate?: SeriesEstimate;
}

export interface Comparison {
  a: { version: number; variant: string; labels: number };
  b: { version: number; variant: string; labels: number };
  auc_a?: number | null;
  auc_b?: number | null;
  difference?: number | null;
  p_value: number | null;
  reason?: string;
}

export interface PerformanceAnswer {
  model: string;
  task: string;
  from: string;
  to: string;
  bucket_seconds: number;
  series: PerformanceSeries[];
  comparisons: Comparison[];
}

export interface Alert {
  id: string;
  model: string;
  version: number;
  variant: string;
  rule: string;
  severity: string;
  state: 'firing' | 'resolved';
  acknowledged: boolean;
  silenced_by: string | null;
  summary: string;
  started_at: string;
  resolved_at: string | null;
  acknowledgements: { actor: string; note: string; at: string }[];
}

export interface AlertList {
  alerts: Alert[];
  next_cursor: string | null;
}

export interface Silence {
  id: string;
  matchers: { model?: string; rule?: string; severity?: string };
  starts_at: string;
  ends_at: string;
  reason: string;
  created_by?: string;
  active: boolean;
}
