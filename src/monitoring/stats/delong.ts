import { normalQuantile, normalSf, studentTQuantile, studentTSf } from './delong-distributions.js';

/**
 * DeLong's test for the difference of two ROC AUCs, as R's pROC computes it
 * (`roc.test(method = "delong")`): the AUC as a Mann-Whitney statistic whose
 * variance comes from the per-case "placements" (DeLong, DeLong and
 * Clarke-Pearson, 1988). Two A/B variants see different requests, so the
 * unpaired form is the one the performance view uses: pROC's Welch-style t
 * with Satterthwaite degrees of freedom. The paired form (same cases scored
 * by two models, e.g. live and shadow) is a z test with the covariance of
 * the placements. Ties count one half, as in the AUC itself.
 */

export interface DelongResult {
  auc1: number;
  auc2: number;
  /** auc1 - auc2. */
  difference: number;
  /** t (unpaired) or z (paired). */
  statistic: number;
  /** Degrees of freedom of the unpaired t; Infinity for the paired z. */
  df: number;
  pValue: number;
  /** Two-sided confidence interval for the difference, at `level`. */
  ci: [number, number];
  level: number;
}

interface Placements {
  auc: number;
  /** Per positive: the share of negatives it scores above (ties one half). */
  x: Float64Array;
  /** Per negative: the share of positives scoring above it. */
  y: Float64Array;
}

/** Placements from mid-ranks: O(n log n) rather than the O(mn) pairwise sum. */
function placements(labels: ArrayLike<number>, scores: ArrayLike<number>): Placements {
  const pos: number[] = [];
  const neg: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i];
    const s = scores[i];
    if (Number.isNaN(y) || Number.isNaN(s)) continue;
    if (y === 1) pos.push(s);
    else if (y === 0) neg.push(s);
    else throw new RangeError(`label ${y} at index ${i} is neither 0 nor 1`);
  }
  const m = pos.length;
  const n = neg.length;
  if (m < 2 || n < 2) throw new RangeError(`DeLong's test needs at least two positives and two negatives (got ${m} and ${n})`);
  const all = midRanks([...pos, ...neg]);
  const inPos = midRanks(pos);
  const inNeg = midRanks(neg);
  const x = new Float64Array(m);
  const y = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < m; i++) {
    x[i] = (all[i] - inPos[i]) / n;
    sum += x[i];
  }
  for (let j = 0; j < n; j++) y[j] = 1 - (all[m + j] - inNeg[j]) / m;
  return { auc: sum / m, x, y };
}

function midRanks(values: readonly number[]): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(n);
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && values[order[end]] === values[order[start]]) end++;
    const mid = (start + 1 + end) / 2;
    for (let k = start; k < end; k++) ranks[order[k]] = mid;
    start = end;
  }
  return ranks;
}

function covariance(a: Float64Array, b: Float64Array, meanA: number, meanB: number): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] - meanA) * (b[i] - meanB);
  return s / (a.length - 1);
}

/** DeLong's variance of one AUC: var(X)/m + var(Y)/n. */
function aucVariance(p: Placements): number {
  return covariance(p.x, p.x, p.auc, p.auc) / p.x.length + covariance(p.y, p.y, p.auc, p.auc) / p.y.length;
}

/** Two AUCs on different cases (A/B variants): pROC's `roc.test(r1, r2, method = "delong", paired = FALSE)`. */
export function delongUnpaired(
  labels1: ArrayLike<number>,
  scores1: ArrayLike<number>,
  labels2: ArrayLike<number>,
  scores2: ArrayLike<number>,
  level = 0.95,
): DelongResult {
  const a = placements(labels1, scores1);
  const b = placements(labels2, scores2);
  return delongUnpairedOf(
    { auc: a.auc, variance: aucVariance(a), positives: a.x.length, negatives: a.y.length },
    { auc: b.auc, variance: aucVariance(b), positives: b.x.length, negatives: b.y.length },
    level,
  );
}

/** Each curve's AUC and DeLong variance, already computed (e.g. from tied-score groups). */
export interface DelongSide {
  auc: number;
  variance: number;
  positives: number;
  negatives: number;
}

/** The unpaired test from each side's AUC and variance: the same arithmetic as `delongUnpaired`. */
export function delongUnpairedOf(a: DelongSide, b: DelongSide, level = 0.95): DelongResult {
  for (const s of [a, b]) {
    if (s.positives < 2 || s.negatives < 2) throw new RangeError(`DeLong's test needs at least two positives and two negatives (got ${s.positives} and ${s.negatives})`);
  }
  const s1 = a.variance;
  const s2 = b.variance;
  const se = Math.sqrt(s1 + s2);
  const difference = a.auc - b.auc;
  const df = (s1 + s2) ** 2 / (s1 ** 2 / (a.positives + a.negatives - 1) + s2 ** 2 / (b.positives + b.negatives - 1));
  const statistic = se === 0 ? (difference === 0 ? 0 : Math.sign(difference) * Infinity) : difference / se;
  const half = se * studentTQuantile(1 - (1 - level) / 2, df);
  return { auc1: a.auc, auc2: b.auc, difference, statistic, df, pValue: Math.min(1, 2 * studentTSf(Math.abs(statistic), df)), ci: [difference - half, difference + half], level };
}

/** Two models scored on the same cases: pROC's paired DeLong z test. */
export function delongPaired(labels: ArrayLike<number>, scores1: ArrayLike<number>, scores2: ArrayLike<number>, level = 0.95): DelongResult {
  const a = placements(labels, scores1);
  const b = placements(labels, scores2);
  const m = a.x.length;
  const n = a.y.length;
  const variance =
    (covariance(a.x, a.x, a.auc, a.auc) + covariance(b.x, b.x, b.auc, b.auc) - 2 * covariance(a.x, b.x, a.auc, b.auc)) / m +
    (covariance(a.y, a.y, a.auc, a.auc) + covariance(b.y, b.y, b.auc, b.auc) - 2 * covariance(a.y, b.y, a.auc, b.auc)) / n;
  const se = Math.sqrt(Math.max(0, variance));
  const difference = a.auc - b.auc;
  const statistic = se === 0 ? (difference === 0 ? 0 : Math.sign(difference) * Infinity) : difference / se;
  const half = se * normalQuantile(1 - (1 - level) / 2);
  return { auc1: a.auc, auc2: b.auc, difference, statistic, df: Infinity, pValue: Math.min(1, 2 * normalSf(Math.abs(statistic))), ci: [difference - half, difference + half], level };
}
