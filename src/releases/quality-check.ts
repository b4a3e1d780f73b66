import type { Band } from '../monitoring/estimate/cbpe.js';
import { normalQuantile } from '../monitoring/stats/delong-distributions.js';
import { type Analysis, type AucAnalysis, type CheckResult, unjudgedQuality } from './rollout-analysis.js';
import { aucNonInferior, squaredErrorNonInferior } from './noninferiority.js';

/** A labelled prediction as the monitor's performance reader answers it. */
export interface Labelled {
  score: number | null;
  truth: string | null;
  truth_value: number | null;
}

const round = (x: number) => Math.round(x * 1e6) / 1e6;

function binary(rows: readonly Labelled[]): { labels: number[]; scores: number[] } {
  const labels: number[] = [];
  const scores: number[] = [];
  for (const r of rows) {
    if (r.score === null || (r.truth !== '1' && r.truth !== '0')) continue;
    labels.push(r.truth === '1' ? 1 : 0);
    scores.push(r.score);
  }
  return { labels, scores };
}

function squaredErrors(rows: readonly Labelled[]): number[] {
  return rows.filter((r) => r.score !== null && r.truth_value !== null).map((r) => (r.score! - r.truth_value!) ** 2);
}

/**
 * The step's quality check from every labelled prediction of each variant
 * so far: AUC by DeLong's unpaired test (binary), RMSE by Welch's t test on
 * squared errors (regression); other tasks have none. Fewer than
 * `min_labels` labels on either side cannot be judged.
 */
export function judgeQuality(task: string, candidate: readonly Labelled[], baseline: readonly Labelled[], a: Analysis, stepAgeS: number): CheckResult | null {
  const q = a.auc;
  if (!q) return null;
  if (task === 'binary_classification') {
    const c = binary(candidate);
    const b = binary(baseline);
    const counts = { candidate_labels: c.labels.length, baseline_labels: b.labels.length };
    if (c.labels.length < q.min_labels || b.labels.length < q.min_labels) {
      return unjudgedQuality('auc', `labels ${c.labels.length} and ${b.labels.length} of ${q.min_labels} (candidate, baseline)`, a, stepAgeS, counts);
    }
    try {
      const r = aucNonInferior(c, b, q.margin, q.confidence);
      return {
        check: 'auc',
        outcome: r.passed ? 'pass' : 'fail',
        value: round(r.bound),
        limit: -q.margin,
        note: `candidate ${round(r.candidate)} vs baseline ${round(r.baseline)}; lower ${q.confidence} bound of the difference`,
        details: { ...counts, candidate_auc: r.candidate, baseline_auc: r.baseline, difference: r.difference, lower_bound: r.bound, statistic: r.statistic, df: r.df },
      };
    } catch (err) {
      return unjudgedQuality('auc', (err as Error).message, a, stepAgeS, counts);
    }
  }
  if (task === 'regression') {
    const c = squaredErrors(candidate);
    const b = squaredErrors(baseline);
    const counts = { candidate_labels: c.length, baseline_labels: b.length };
    if (c.length < q.min_labels || b.length < q.min_labels) {
      return unjudgedQuality('rmse', `labels ${c.length} and ${b.length} of ${q.min_labels} (candidate, baseline)`, a, stepAgeS, counts);
    }
    const r = squaredErrorNonInferior(c, b, q.margin, q.confidence);
    return {
      check: 'rmse',
      outcome: r.passed ? 'pass' : 'fail',
      value: round(r.bound),
      limit: round(q.margin * r.baseline ** 2),
      note: `RMSE candidate ${round(r.candidate)} vs baseline ${round(r.baseline)}; upper ${q.confidence} bound of the MSE difference`,
      details: { ...counts, candidate_rmse: r.candidate, baseline_rmse: r.baseline, difference: r.difference, upper_bound: r.bound, statistic: r.statistic, df: r.df },
    };
  }
  return null;
}

/** The 95% band's half-width over its z: the standard error CBPE gave the estimate (approximate where the band was clipped at 0 or 1). */
const Z95 = 1.959963984540054;
const seOf = (b: Band) => (b.high - b.low) / (2 * Z95);

/**
 * `auc.allow_estimate`: while labels are short, CBPE's estimated AUC of
 * each side over the same span stands in for DeLong's test. The candidate
 * holds when the one-sided `confidence` lower bound of (estimated candidate
 * AUC - estimated baseline AUC), with the two estimates' standard errors
 * combined, is above `-margin`. Null when either side has no estimate (its
 * version is not calibrated, or the span expects too few of a class).
 */
export function judgeEstimatedQuality(candidate: Band | null, baseline: Band | null, q: AucAnalysis, details: Record<string, unknown>): CheckResult | null {
  if (!candidate || !baseline) return null;
  const difference = candidate.value - baseline.value;
  const bound = difference - normalQuantile(q.confidence) * Math.sqrt(seOf(candidate) ** 2 + seOf(baseline) ** 2);
  return {
    check: 'auc',
    outcome: bound > -q.margin ? 'pass' : 'fail',
    value: round(bound),
    limit: -q.margin,
    note: `estimated (CBPE, labels short): candidate ~${round(candidate.value)} vs baseline ~${round(baseline.value)}; lower ${q.confidence} bound of the difference`,
    details: { ...details, estimated: true, candidate_estimated_auc: candidate, baseline_estimated_auc: baseline, difference, lower_bound: bound },
  };
}
