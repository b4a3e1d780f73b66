/**
 * A model's `monitoring_policy` (flat keys, PRODUCT.md "Monitoring policy")
 * with the defaults filled in, as the window check reads it. The registry
 * validates the stored document; this only reads it, so an unknown or
 * mistyped key falls back to its default instead of breaking a check.
 */
export interface DriftPolicy {
  windowSeconds: number;
  minSamples: number;
  psiThreshold: number;
  ksAlpha: number;
  ksMinStatistic: number;
  chi2Alpha: number;
  jsMinDistance: number;
  missingRateMax: number;
  outOfRangeMax: number;
  unseenRateMax: number;
  features: Record<string, FeatureOverride>;
}

/** Per-feature keys: any flat threshold, `ignore`, and `method` + `threshold` to judge by one test only. */
export interface FeatureOverride {
  ignore?: boolean;
  method?: 'psi' | 'ks' | 'chi_square' | 'jensen_shannon';
  threshold?: number;
  psi_threshold?: number;
  ks_alpha?: number;
  ks_min_statistic?: number;
  chi2_alpha?: number;
  js_min_distance?: number;
  missing_rate_max?: number;
  out_of_range_max?: number;
  unseen_rate_max?: number;
}

export const DEFAULT_POLICY: Readonly<Omit<DriftPolicy, 'features'>> = {
  windowSeconds: 300,
  minSamples: 500,
  psiThreshold: 0.2,
  ksAlpha: 0.05,
  ksMinStatistic: 0.1,
  chi2Alpha: 0.05,
  jsMinDistance: 0.1,
  missingRateMax: 0.05,
  outOfRangeMax: 0.05,
  unseenRateMax: 0.01,
};

export function resolvePolicy(raw: Record<string, unknown> | null | undefined): DriftPolicy {
  const p = raw ?? {};
  const num = (key: string, fallback: number) => {
    const v = p[key];
    return typeof v === 'number' && Number.isFinite(v) ? v : fallback;
  };
  const d = DEFAULT_POLICY;
  const features = p.features && typeof p.features === 'object' ? (p.features as Record<string, FeatureOverride>) : {};
  return {
    windowSeconds: Math.max(1, Math.floor(num('window_seconds', d.windowSeconds))),
    minSamples: num('min_samples', d.minSamples),
    psiThreshold: num('psi_threshold', d.psiThreshold),
    ksAlpha: num('ks_alpha', d.ksAlpha),
    ksMinStatistic: num('ks_min_statistic', d.ksMinStatistic),
    chi2Alpha: num('chi2_alpha', d.chi2Alpha),
    jsMinDistance: num('js_min_distance', d.jsMinDistance),
    missingRateMax: num('missing_rate_max', d.missingRateMax),
    outOfRangeMax: num('out_of_range_max', d.outOfRangeMax),
    unseenRateMax: num('unseen_rate_max', d.unseenRateMax),
    features,
  };
}

/** The thresholds one feature is judged by, after its override. */
export interface FeatureThresholds {
  psiThreshold: number;
  ksAlpha: number;
  ksMinStatistic: number;
  chi2Alpha: number;
  jsMinDistance: number;
  missingRateMax: number;
  outOfRangeMax: number;
  unseenRateMax: number;
  /** Set when the override names one method: only that test decides. */
  only?: FeatureOverride['method'];
}

export function featureThresholds(policy: DriftPolicy, feature: string): FeatureThresholds {
  const o = policy.features[feature] ?? {};
  const pick = (v: unknown, fallback: number) => (typeof v === 'number' && Number.isFinite(v) ? v : fallback);
  const t: FeatureThresholds = {
    psiThreshold: pick(o.psi_threshold, policy.psiThreshold),
    ksAlpha: pick(o.ks_alpha, policy.ksAlpha),
    ksMinStatistic: pick(o.ks_min_statistic, policy.ksMinStatistic),
    chi2Alpha: pick(o.chi2_alpha, policy.chi2Alpha),
    jsMinDistance: pick(o.js_min_distance, policy.jsMinDistance),
    missingRateMax: pick(o.missing_rate_max, policy.missingRateMax),
    outOfRangeMax: pick(o.out_of_range_max, policy.outOfRangeMax),
    unseenRateMax: pick(o.unseen_rate_max, policy.unseenRateMax),
  };
  if (o.method) {
    t.only = o.method;
    // `threshold` is the named method's own threshold (the effect size for KS and JS).
    if (typeof o.threshold === 'number') {
      if (o.method === 'psi') t.psiThreshold = o.threshold;
      else if (o.method === 'ks') t.ksMinStatistic = o.threshold;
      else if (o.method === 'chi_square') t.chi2Alpha = o.threshold;
      else t.jsMinDistance = o.threshold;
    }
  }
  return t;
}

export function isIgnored(policy: DriftPolicy, feature: string): boolean {
  return policy.features[feature]?.ignore === true;
}
