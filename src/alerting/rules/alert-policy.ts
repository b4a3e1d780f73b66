/**
 * The alerting half of a model's `monitoring_policy` (PRODUCT.md, "Monitoring
 * policy"), with its defaults applied. Pure: the registry validates the keys
 * it knows; here every value is read defensively, so a key the registry does
 * not validate yet falls back to its default instead of breaking evaluation.
 */
export const RULES = ['feature_drift', 'prediction_drift', 'data_quality', 'auc', 'estimated_auc', 'latency_p99', 'error_rate'] as const;
export type RuleName = (typeof RULES)[number];

export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export interface AlertPolicy {
  forWindows: number;
  resolveWindows: number;
  severity: Record<RuleName, Severity>;
  runbookUrl: Partial<Record<RuleName, string>>;
  /** Feature drift fires when at least this many features drifted in a window ("any" is 1). */
  driftMinFeatures: number;
  minLabels: number;
  aucMin: number | null;
  aucMargin: number;
  /** The `estimated_auc` rule is off unless one of these is set. */
  estimatedAucMin: number | null;
  estimatedAucMargin: number | null;
  latencyP99Ms: number | null;
  latencyRegressionFactor: number | null;
  errorRateMax: number;
}

const DEFAULT_SEVERITY: Record<RuleName, Severity> = {
  feature_drift: 'warning',
  prediction_drift: 'warning',
  data_quality: 'warning',
  auc: 'critical',
  estimated_auc: 'warning',
  latency_p99: 'warning',
  error_rate: 'warning',
};

const positiveInt = (v: unknown, d: number): number => (typeof v === 'number' && Number.isInteger(v) && v >= 1 ? v : d);
const finite = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const isSeverity = (v: unknown): v is Severity => typeof v === 'string' && (SEVERITIES as readonly string[]).includes(v);
const isRule = (v: string): v is RuleName => (RULES as readonly string[]).includes(v);

/**
 * `severity` and `runbook_url` may be one value for every rule or a map by
 * rule name (`{"auc": "critical", "feature_drift": "info"}`).
 */
export function alertPolicy(raw: Record<string, unknown> | null | undefined): AlertPolicy {
  const p = raw ?? {};
  const severity = { ...DEFAULT_SEVERITY };
  if (isSeverity(p.severity)) for (const r of RULES) severity[r] = p.severity;
  else if (p.severity && typeof p.severity === 'object') {
    for (const [k, v] of Object.entries(p.severity)) if (isRule(k) && isSeverity(v)) severity[k] = v;
  }
  const runbookUrl: Partial<Record<RuleName, string>> = {};
  if (typeof p.runbook_url === 'string') for (const r of RULES) runbookUrl[r] = p.runbook_url;
  else if (p.runbook_url && typeof p.runbook_url === 'object') {
    for (const [k, v] of Object.entries(p.runbook_url)) if (isRule(k) && typeof v === 'string') runbookUrl[k] = v;
  }
  const factor = finite(p.latency_regression_factor);
  return {
    forWindows: positiveInt(p.for_windows, 2),
    resolveWindows: positiveInt(p.resolve_windows, 2),
    severity,
    runbookUrl,
    driftMinFeatures: positiveInt(p.drift_min_features, 1),
    minLabels: positiveInt(p.min_labels, 200),
    aucMin: finite(p.auc_min),
    aucMargin: finite(p.auc_margin) ?? 0.05,
    estimatedAucMin: finite(p.estimated_auc_min),
    estimatedAucMargin: finite(p.estimated_auc_margin),
    latencyP99Ms: finite(p.latency_p99_ms),
    latencyRegressionFactor: factor !== null && factor > 0 ? factor : null,
    errorRateMax: finite(p.error_rate_max) ?? 0.05,
  };
}
