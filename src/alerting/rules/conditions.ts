import type { AlertPolicy, RuleName } from './alert-policy.js';

/** What the drift check stored for one series and window (a `drift_checks` row, as the evaluator needs it). */
export interface CheckWindow {
  judged: boolean;
  driftedFeatures: string[];
  /** Null when the window had no prediction drift test (too few rows, or a tensor model). */
  predictionDrifted: boolean | null;
  dataQualityFailed: string[];
  requests: number;
  errors: number;
  latencyP99Ms: number | null;
}

/** One performance bucket of a series, from the feedback reader. */
export interface PerformanceWindow {
  labels: number;
  auc: number | null;
  validationAuc: number | null;
}

/**
 * A rule's verdict on one window. `judged: false` means the window cannot
 * decide (too few rows or labels, or the rule has no bar configured) and
 * leaves the alert's state as it is.
 */
export interface Judgement {
  judged: boolean;
  active: boolean;
  /** One line for on-call, the page's summary when it fires. */
  summary: string;
  details: Record<string, unknown>;
}

const UNJUDGED = (summary: string, details: Record<string, unknown> = {}): Judgement => ({ judged: false, active: false, summary, details });

export function judgeFeatureDrift(p: AlertPolicy, w: CheckWindow): Judgement {
  if (!w.judged) return UNJUDGED('too few rows to judge drift');
  const active = w.driftedFeatures.length >= p.driftMinFeatures;
  return {
    judged: true,
    active,
    summary: active ? `feature drift in ${w.driftedFeatures.join(', ')}` : 'no feature drift',
    details: { drifted_features: w.driftedFeatures, min_features: p.driftMinFeatures },
  };
}

export function judgePredictionDrift(_p: AlertPolicy, w: CheckWindow): Judgement {
  if (!w.judged || w.predictionDrifted === null) return UNJUDGED('too few rows to judge prediction drift');
  return {
    judged: true,
    active: w.predictionDrifted,
    summary: w.predictionDrifted ? 'prediction distribution drifted' : 'no prediction drift',
    details: {},
  };
}

export function judgeDataQuality(_p: AlertPolicy, w: CheckWindow): Judgement {
  if (!w.judged) return UNJUDGED('too few rows to judge data quality');
  const active = w.dataQualityFailed.length > 0;
  return {
    judged: true,
    active,
    summary: active ? `data quality failed for ${w.dataQualityFailed.join(', ')}` : 'data quality ok',
    details: { failed: w.dataQualityFailed },
  };
}

export function judgeErrorRate(p: AlertPolicy, w: CheckWindow): Judgement {
  if (w.requests <= 0) return UNJUDGED('no requests in the window');
  const rate = w.errors / w.requests;
  const active = rate > p.errorRateMax;
  return {
    judged: true,
    active,
    summary: `error rate ${(rate * 100).toFixed(2)}% (bar ${(p.errorRateMax * 100).toFixed(2)}%)`,
    details: { error_rate: rate, error_rate_max: p.errorRateMax, requests: w.requests, errors: w.errors },
  };
}

/**
 * `previousP99Ms` is the previous production version's p99 over the windows
 * it served (from the kept window statistics), null when there is none.
 */
export function judgeLatency(p: AlertPolicy, w: CheckWindow, previousP99Ms: number | null): Judgement {
  const regressionBar = p.latencyRegressionFactor !== null && previousP99Ms !== null ? p.latencyRegressionFactor * previousP99Ms : null;
  if (p.latencyP99Ms === null && regressionBar === null) return UNJUDGED('no latency bar configured');
  if (w.requests <= 0 || w.latencyP99Ms === null) return UNJUDGED('no requests in the window');
  const overBar = p.latencyP99Ms !== null && w.latencyP99Ms > p.latencyP99Ms;
  const regressed = regressionBar !== null && w.latencyP99Ms > regressionBar;
  const active = overBar || regressed;
  const bars = [p.latencyP99Ms !== null ? `bar ${p.latencyP99Ms} ms` : null, regressionBar !== null ? `${p.latencyRegressionFactor}x previous production ${previousP99Ms} ms` : null]
    .filter(Boolean)
    .join(', ');
  return {
    judged: true,
    active,
    summary: `p99 latency ${w.latencyP99Ms} ms (${bars})`,
    details: { latency_p99_ms: w.latencyP99Ms, latency_p99_max_ms: p.latencyP99Ms, previous_p99_ms: previousP99Ms, regression_factor: p.latencyRegressionFactor },
  };
}

export function judgeAuc(p: AlertPolicy, w: PerformanceWindow): Judgement {
  const relativeBar = w.validationAuc !== null ? w.validationAuc - p.aucMargin : null;
  if (p.aucMin === null && relativeBar === null) return UNJUDGED('no AUC bar: neither auc_min nor a registered validation AUC');
  if (w.labels < p.minLabels || w.auc === null) return UNJUDGED(`${w.labels} labels, fewer than ${p.minLabels}`, { labels: w.labels });
  const bar = Math.max(p.aucMin ?? -Infinity, relativeBar ?? -Infinity);
  const active = w.auc < bar;
  return {
    judged: true,
    active,
    summary: `live AUC ${w.auc.toFixed(4)} (bar ${bar.toFixed(4)}, ${w.labels} labels)`,
    details: { auc: w.auc, auc_min: p.aucMin, validation_auc: w.validationAuc, auc_margin: p.aucMargin, bar, labels: w.labels },
  };
}

/** The rules a drift-check window feeds (AUC comes from the performance reader instead). */
export const CHECK_RULES: readonly RuleName[] = ['feature_drift', 'prediction_drift', 'data_quality', 'latency_p99', 'error_rate'];

export function judgeCheck(rule: RuleName, p: AlertPolicy, w: CheckWindow, previousP99Ms: number | null): Judgement {
  switch (rule) {
    case 'feature_drift':
      return judgeFeatureDrift(p, w);
    case 'prediction_drift':
      return judgePredictionDrift(p, w);
    case 'data_quality':
      return judgeDataQuality(p, w);
    case 'latency_p99':
      return judgeLatency(p, w, previousP99Ms);
    case 'error_rate':
      return judgeErrorRate(p, w);
    case 'auc':
    case 'estimated_auc':
      throw new Error(`${rule} is judged on performance windows, not drift checks`);
  }
}
