import type { BaselineSketch, FeatureSketch } from '../sketch/baseline-sketch.js';
import type { CategoricalSketch } from '../sketch/categorical-sketch.js';
import type { NumericSketch } from '../sketch/numeric-sketch.js';
import { chiSquareAgainstBaseline, alignCategories, UNSEEN_CATEGORY } from '../stats/chi-square.js';
import { jensenShannonDistance } from '../stats/jensen-shannon.js';
import { ks2sampSorted } from '../stats/ks-test.js';
import { psiOnBaselineBins } from '../stats/psi.js';
import type { ColumnPartial } from '../live/column-tally.js';
import type { ColumnLayout } from '../live/series-layout.js';
import { buildLayout } from '../live/series-layout.js';
import type { WindowPartial } from '../live/window-sketch.js';
import type { DataQualityViolation, DriftCheckRecord, FeatureDataQuality, FeatureDriftResult } from './drift-check.record.js';
import { type DriftPolicy, type FeatureThresholds, featureThresholds, isIgnored } from './monitoring-policy.js';
import { latencySummary } from './latency-summary.js';

/** The part of a drift_checks row the decision fills (the store adds the series, window and ids). */
export type WindowVerdict = Pick<
  DriftCheckRecord,
  | 'rows'
  | 'judged'
  | 'features'
  | 'drifted_features'
  | 'prediction'
  | 'prediction_drifted'
  | 'data_quality'
  | 'data_quality_failed'
  | 'requests'
  | 'errors'
  | 'error_rate'
  | 'latency_p50_ms'
  | 'latency_p99_ms'
  | 'latency_histogram'
>;

const UNSEEN_TOP = 10;

/**
 * PRODUCT.md's drift decision for one series and window, over the partials
 * merged from every replica. A window with fewer than `min_samples` rows is
 * reported (its statistics are computed) but not judged: nothing in it is
 * drifted or a data-quality violation. KS and chi-square are significant
 * below alpha / m, m the number of features judged (Bonferroni); the score
 * is one test of its own and is not corrected. Missing values take no part
 * in the drift tests: they are data quality's concern.
 */
export function decideWindow(window: WindowPartial, baseline: BaselineSketch | null, policy: DriftPolicy): WindowVerdict {
  const judged = window.rows >= policy.minSamples;
  const layout = buildLayout(window.feature_names, baseline);
  const judgedFeatures = window.feature_names.filter((name, f) => layout.features[f] && window.features[f] && !isIgnored(policy, name));
  const m = Math.max(judgedFeatures.length, 1);

  const features: FeatureDriftResult[] = [];
  const quality: FeatureDataQuality[] = [];
  window.feature_names.forEach((name, f) => {
    const l = layout.features[f];
    const live = window.features[f];
    if (!l || !live || !baseline || isIgnored(policy, name)) return;
    const t = featureThresholds(policy, name);
    features.push(judgeColumn(name, l, live, baseline.features[name], t, m, judged));
    quality.push(dataQuality(name, l, live, t, judged));
  });

  let prediction: FeatureDriftResult | null = null;
  if (baseline && layout.prediction && window.prediction) {
    prediction = judgeColumn('score', layout.prediction, window.prediction, baseline.prediction, featureThresholds(policy, '\u0000score'), 1, judged);
  }
  const lat = latencySummary(window.latency);
  return {
    rows: window.rows,
    judged,
    features,
    drifted_features: features.filter((r) => r.drifted).map((r) => r.feature),
    prediction,
    prediction_drifted: prediction?.drifted ?? false,
    data_quality: quality,
    data_quality_failed: quality.filter((q) => q.violations.length > 0).map((q) => q.feature),
    requests: window.requests,
    errors: window.errors,
    error_rate: window.requests > 0 ? window.errors / window.requests : 0,
    latency_p50_ms: lat.p50,
    latency_p99_ms: lat.p99,
    latency_histogram: lat.histogram,
  };
}

function judgeColumn(
  name: string,
  layout: ColumnLayout,
  live: ColumnPartial,
  base: FeatureSketch,
  t: FeatureThresholds,
  m: number,
  judged: boolean,
): FeatureDriftResult {
  const present = total(live.counts);
  if (layout.kind === 'numeric' && base.type === 'numeric') return judgeNumeric(name, live, base, t, m, judged, present);
  if (layout.kind === 'categorical' && base.type === 'categorical') return judgeCategorical(name, layout.categories, live, base, t, m, judged, present);
  throw new RangeError(`column ${name}: live layout ${layout.kind} does not match the baseline's ${base.type} sketch`);
}

function judgeNumeric(name: string, live: ColumnPartial, base: NumericSketch, t: FeatureThresholds, m: number, judged: boolean, present: number): FeatureDriftResult {
  const c = live.counts;
  const psi = present > 0 ? psiOnBaselineBins(base.counts, { underflow: c[0], counts: c.slice(1, c.length - 1), overflow: c[c.length - 1] }) : NaN;
  const sample = live.sample ?? [];
  const ks = sample.length > 0 && base.sample.length > 0 ? ks2sampSorted(base.sample, sample) : undefined;
  const alpha = t.ksAlpha / m;
  const byPsi = psi >= t.psiThreshold;
  const byKs = ks !== undefined && ks.pvalue < alpha && ks.statistic >= t.ksMinStatistic;
  const decided = t.only === 'psi' ? byPsi : t.only === 'ks' ? byKs : byPsi || byKs;
  return {
    feature: name,
    kind: 'numeric',
    method: t.only === 'psi' ? ['psi'] : t.only === 'ks' ? ['ks'] : ['psi', 'ks'],
    psi: finiteOrNull(psi),
    ks_statistic: ks ? ks.statistic : null,
    ks_p_value: ks ? ks.pvalue : null,
    chi2_p_value: null,
    js_distance: null,
    thresholds: { psi_threshold: t.psiThreshold, ks_alpha: alpha, ks_min_statistic: t.ksMinStatistic },
    samples: present,
    drifted: judged && decided,
    live_counts: [...c],
  };
}

function judgeCategorical(
  name: string,
  categories: readonly string[],
  live: ColumnPartial,
  base: CategoricalSketch,
  t: FeatureThresholds,
  m: number,
  judged: boolean,
  present: number,
): FeatureDriftResult {
  const table = liveTable(categories, live);
  const chi = chiSquareAgainstBaseline(base.frequencies, table);
  const aligned = alignCategories(base.frequencies, table);
  const js = present > 0 ? jensenShannonDistance(aligned.baseline, aligned.live) : NaN;
  const alpha = t.chi2Alpha / m;
  const byChi = chi.pvalue < alpha;
  const byJs = js >= t.jsMinDistance;
  const decided = t.only === 'chi_square' ? byChi : t.only === 'jensen_shannon' ? byJs : byChi && byJs;
  return {
    feature: name,
    kind: 'categorical',
    method: t.only === 'chi_square' ? ['chi2'] : t.only === 'jensen_shannon' ? ['js'] : ['chi2', 'js'],
    psi: null,
    ks_statistic: null,
    ks_p_value: null,
    chi2_p_value: finiteOrNull(chi.pvalue),
    js_distance: finiteOrNull(js),
    thresholds: { chi2_alpha: alpha, js_min_distance: t.jsMinDistance },
    samples: present,
    drifted: judged && decided,
    live_counts: liveCounts(categories, live),
  };
}

/** Every baseline category's live count, zeros included, and the unseen bucket: what a histogram draws. */
function liveCounts(categories: readonly string[], live: ColumnPartial): Record<string, number> {
  const out: Record<string, number> = {};
  categories.forEach((k, i) => {
    out[k] = live.counts[i];
  });
  out[UNSEEN_CATEGORY] = live.counts[categories.length];
  return out;
}

/** The live frequencies keyed like the baseline's, with the unseen bucket under its own key. */
function liveTable(categories: readonly string[], live: ColumnPartial): Record<string, number> {
  const table: Record<string, number> = {};
  categories.forEach((k, i) => {
    if (live.counts[i] > 0) table[k] = live.counts[i];
  });
  const unseen = live.counts[categories.length];
  if (unseen > 0) table[UNSEEN_CATEGORY] = unseen;
  return table;
}

function dataQuality(name: string, layout: ColumnLayout, live: ColumnPartial, t: FeatureThresholds, judged: boolean): FeatureDataQuality {
  const present = total(live.counts);
  const all = present + live.missing;
  const missingRate = all > 0 ? live.missing / all : 0;
  const violations: DataQualityViolation[] = [];
  if (judged && missingRate > t.missingRateMax) violations.push('missing_rate');
  if (layout.kind === 'numeric') {
    const outside = live.counts[0] + live.counts[live.counts.length - 1];
    const rate = present > 0 ? outside / present : 0;
    if (judged && rate > t.outOfRangeMax) violations.push('out_of_range');
    return {
      feature: name,
      kind: 'numeric',
      missing_rate: missingRate,
      out_of_range_rate: rate,
      unseen_rate: null,
      unseen_count: null,
      unseen_top: [],
      missing_rate_max: t.missingRateMax,
      out_of_range_max: t.outOfRangeMax,
      unseen_rate_max: null,
      violations,
    };
  }
  const unseen = live.counts[layout.categories.length];
  const rate = present > 0 ? unseen / present : 0;
  if (judged && rate > t.unseenRateMax) violations.push('unseen_rate');
  const top = Object.entries(live.unseen ?? {})
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, UNSEEN_TOP)
    .map(([value, count]) => ({ value, count }));
  return {
    feature: name,
    kind: 'categorical',
    missing_rate: missingRate,
    out_of_range_rate: null,
    unseen_rate: rate,
    unseen_count: unseen,
    unseen_top: top,
    missing_rate_max: t.missingRateMax,
    out_of_range_max: null,
    unseen_rate_max: t.unseenRateMax,
    violations,
  };
}

function total(v: readonly number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return s;
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}
