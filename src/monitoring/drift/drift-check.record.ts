/**
 * The shape of a `drift_checks` row (migration 1765400000000) as the window
 * check writes it and the API and the alert evaluator read it. Timestamps are
 * ISO strings here; the jsonb columns hold exactly these objects.
 */

export type FeatureKind = 'numeric' | 'categorical';

/** Which tests were applied: numeric uses PSI + KS, categorical chi2 + JS. */
export type DriftMethod = 'psi' | 'ks' | 'chi2' | 'js';

/** The thresholds the decision used, after per-feature overrides. */
export interface DriftThresholds {
  psi_threshold?: number;
  /** Already Bonferroni-corrected: policy ks_alpha / number of features. */
  ks_alpha?: number;
  ks_min_statistic?: number;
  chi2_alpha?: number;
  js_min_distance?: number;
}

export interface FeatureDriftResult {
  feature: string;
  kind: FeatureKind;
  /** The methods applied, in the order they were computed. */
  method: DriftMethod[];
  psi: number | null;
  ks_statistic: number | null;
  ks_p_value: number | null;
  chi2_p_value: number | null;
  js_distance: number | null;
  thresholds: DriftThresholds;
  /** Rows with a value (missing values are excluded from the tests). */
  samples: number;
  /** False when the window was not judged (rows < min_samples). */
  drifted: boolean;
  /**
   * The window's own bin counts beside the baseline's, so a histogram can be
   * drawn. Numeric: [below the baseline's first edge, one per baseline bin,
   * above its last edge]. Categorical: count per baseline category, and
   * values the baseline never saw under "(unseen)". Absent on rows written
   * before it was added.
   */
  live_counts?: number[] | Record<string, number>;
}

/** The prediction score is judged like a numeric feature named `score`. */
export type PredictionDriftResult = FeatureDriftResult;

export interface UnseenValue {
  value: string;
  count: number;
}

export type DataQualityViolation = 'missing_rate' | 'out_of_range' | 'unseen_rate';

export interface FeatureDataQuality {
  feature: string;
  kind: FeatureKind;
  missing_rate: number;
  /** Numeric only: share of present values outside the baseline's [min, max]. */
  out_of_range_rate: number | null;
  /** Categorical only: share of present values not in the baseline. */
  unseen_rate: number | null;
  unseen_count: number | null;
  unseen_top: UnseenValue[];
  missing_rate_max: number;
  out_of_range_max: number | null;
  unseen_rate_max: number | null;
  violations: DataQualityViolation[];
}

/** Upper bounds in ms; `counts` has one more entry (the overflow bucket). */
export interface LatencyHistogram {
  bounds_ms: number[];
  counts: number[];
}

export interface DriftCheckRecord {
  id: string;
  model_name: string;
  version: number;
  variant: string;
  window_start: string;
  window_end: string;
  rows: number;
  /** rows >= min_samples; an unjudged window flags nothing. */
  judged: boolean;
  features: FeatureDriftResult[];
  drifted_features: string[];
  /** Null when the version has no score output or no score baseline. */
  prediction: PredictionDriftResult | null;
  prediction_drifted: boolean;
  data_quality: FeatureDataQuality[];
  data_quality_failed: string[];
  requests: number;
  errors: number;
  error_rate: number;
  latency_p50_ms: number | null;
  latency_p99_ms: number | null;
  latency_histogram: LatencyHistogram | null;
  checked_at: string;
}
