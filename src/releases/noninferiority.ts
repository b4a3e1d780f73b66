import { studentTQuantile } from '../monitoring/stats/delong-distributions.js';
import { delongUnpaired } from '../monitoring/stats/delong.js';

/**
 * Non-inferiority of a rollout's candidate against its baseline on live
 * labels. Both variants see different requests, so both tests are unpaired.
 * Each answers the one-sided `confidence` bound of the difference and
 * whether it clears the margin.
 */
export interface NonInferiority {
  passed: boolean;
  /** Candidate minus baseline (AUC, or mean squared error). */
  difference: number;
  /** The one-sided bound the decision reads: lower for AUC, upper for squared error. */
  bound: number;
  candidate: number;
  baseline: number;
  statistic: number;
  df: number;
}

/**
 * AUC holds when the lower bound of the one-sided `confidence` interval of
 * (candidate AUC - baseline AUC), from DeLong's unpaired test, is above
 * `-margin`. A one-sided bound at c is the lower end of the two-sided
 * interval at 2c - 1.
 */
export function aucNonInferior(
  candidate: { labels: ArrayLike<number>; scores: ArrayLike<number> },
  baseline: { labels: ArrayLike<number>; scores: ArrayLike<number> },
  margin: number,
  confidence: number,
): NonInferiority {
  const r = delongUnpaired(candidate.labels, candidate.scores, baseline.labels, baseline.scores, 2 * confidence - 1);
  return { passed: r.ci[0] > -margin, difference: r.difference, bound: r.ci[0], candidate: r.auc1, baseline: r.auc2, statistic: r.statistic, df: r.df };
}

/**
 * Regression: Welch's t test on squared errors. The candidate holds when the
 * upper bound of the one-sided `confidence` interval of (candidate MSE -
 * baseline MSE) is below `margin` times the baseline's MSE: the margin is a
 * share of the baseline's error, as AUC's is a share of the unit interval.
 * `candidate` and `baseline` in the answer are the RMSEs.
 */
export function squaredErrorNonInferior(candidateSq: ArrayLike<number>, baselineSq: ArrayLike<number>, margin: number, confidence: number): NonInferiority {
  const a = moments(candidateSq);
  const b = moments(baselineSq);
  if (a.n < 2 || b.n < 2) throw new RangeError(`Welch's t test needs at least two errors per variant (got ${a.n} and ${b.n})`);
  const va = a.variance / a.n;
  const vb = b.variance / b.n;
  const se = Math.sqrt(va + vb);
  const difference = a.mean - b.mean;
  const df = se === 0 ? Infinity : (va + vb) ** 2 / (va ** 2 / (a.n - 1) + vb ** 2 / (b.n - 1));
  const bound = difference + se * (df === Infinity ? 0 : studentTQuantile(confidence, df));
  const statistic = se === 0 ? (difference === 0 ? 0 : Math.sign(difference) * Infinity) : difference / se;
  return { passed: bound < margin * b.mean, difference, bound, candidate: Math.sqrt(a.mean), baseline: Math.sqrt(b.mean), statistic, df };
}

function moments(values: ArrayLike<number>): { n: number; mean: number; variance: number } {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = n ? sum / n : NaN;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return { n, mean, variance: n > 1 ? ss / (n - 1) : NaN };
}
