import { kolmogorovSf } from './kolmogorov.js';

export interface KsResult {
  /** sup |F_a - F_b|; in exact mode scipy reports it rounded to a multiple of 1/lcm(n1, n2), and so does this. */
  statistic: number;
  pvalue: number;
  method: 'exact' | 'asymp';
}

/** scipy's `MAX_AUTO_N`: 'auto' tries the exact distribution when both samples are at most this long. */
export const KS_MAX_EXACT_N = 10000;

/**
 * Two-sample Kolmogorov-Smirnov test, two-sided, equal to
 * `scipy.stats.ks_2samp(a, b)` with its default method 'auto' (scipy 1.10,
 * stats/_stats_py.py): the exact null distribution when max(n1, n2) <= 10000
 * (Hodges' lattice-path count, computed as scipy does), falling back to the
 * asymptotic one if that computation fails; otherwise kstwo at
 * n = round(n1 n2 / (n1 + n2)). NaN values are missing and left out (scipy
 * would propagate them into a meaningless answer).
 */
export function ks2samp(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  return ks2sampSorted(sortedFinite(a), sortedFinite(b));
}

/** As ks2samp, for samples already sorted ascending without NaN (a baseline sketch's sample is). */
export function ks2sampSorted(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new RangeError('the KS test needs two non-empty samples');
  let d = ksStatisticSorted(a, b);
  if (Math.max(n1, n2) <= KS_MAX_EXACT_N) {
    const g = gcd(n1, n2);
    const lcm = (n1 / g) * n2;
    const h = roundHalfEven(d * lcm);
    const exact = h / lcm;
    if (h === 0) return { statistic: exact, pvalue: 1, method: 'exact' };
    const p = n1 === n2 ? probOutsideSquare(n1, h) : probOutsideInside(n1, n2, g, h);
    if (p >= 0 && p <= 1) return { statistic: exact, pvalue: p, method: 'exact' };
    // scipy falls back to the asymptotic p-value but keeps the rounded statistic.
    d = exact;
  }
  const m = Math.max(n1, n2);
  const n = Math.min(n1, n2);
  const en = (m * n) / (m + n);
  return { statistic: d, pvalue: clip(kolmogorovSf(roundHalfEven(en), d)), method: 'asymp' };
}

/** max over x of |F_a(x) - F_b(x)| for sorted samples, with the ECDF differences formed as scipy forms them. */
export function ksStatisticSorted(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n1 = a.length;
  const n2 = b.length;
  let i = 0;
  let j = 0;
  let maxS = -Infinity;
  let minS = Infinity;
  while (i < n1 || j < n2) {
    const x = j >= n2 || (i < n1 && a[i] <= b[j]) ? a[i] : b[j];
    while (i < n1 && a[i] <= x) i++;
    while (j < n2 && b[j] <= x) j++;
    const diff = i / n1 - j / n2;
    if (diff > maxS) maxS = diff;
    if (diff < minS) minS = diff;
  }
  const down = clip(-minS);
  return down > maxS ? down : maxS;
}

/**
 * P(D >= h/n) for two samples of n each: 2 * sum of alternating binomial
 * ratios, nested Horner-style (scipy's `_compute_prob_outside_square`) to
 * avoid the cancellation of the plain alternating sum.
 */
function probOutsideSquare(n: number, h: number): number {
  let P = 0;
  for (let k = Math.floor(n / h); k >= 0; k--) {
    let p1 = 1;
    for (let j = 0; j < h; j++) p1 = ((n - k * h - j) * p1) / (n + k * h + j + 1);
    P = p1 * (1 - P);
  }
  return 2 * P;
}

/**
 * P(D >= h/lcm) for samples of m and n: the share of lattice paths from
 * (0,0) to (m,n) that leave the band |x/m - y/n| < h/lcm, computed column by
 * column as 1 - (share inside) directly (Viehmann 2021, scipy's
 * `_compute_outer_prob_inside_method`), over a sliding window of the column.
 */
function probOutsideInside(m0: number, n0: number, g: number, h: number): number {
  const m = Math.max(m0, n0);
  const n = Math.min(m0, n0);
  const mg = m / g;
  const ng = n / g;
  let minj = 0;
  let maxj = Math.min(Math.ceil(h / mg), n + 1);
  let curlen = maxj - minj;
  const lenA = Math.min(2 * maxj + 2, n + 1);
  const A = new Float64Array(lenA).fill(1);
  A.fill(0, minj, maxj);
  for (let i = 1; i <= m; i++) {
    const lastminj = minj;
    const lastlen = curlen;
    minj = Math.min(Math.max(Math.floor((ng * i - h) / mg) + 1, 0), n);
    maxj = Math.min(Math.ceil((ng * i + h) / mg), n + 1);
    if (maxj <= minj) return 1;
    let val = minj === 0 ? 0 : 1;
    for (let jj = 0; jj < maxj - minj; jj++) {
      const j = jj + minj;
      val = (A[jj + minj - lastminj] * i + val * j) / (i + j);
      A[jj] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) A.fill(1, maxj - minj, maxj - minj + (lastlen - curlen));
  }
  return A[maxj - minj - 1];
}

function sortedFinite(values: ArrayLike<number>): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i])) out.push(values[i]);
  return Float64Array.from(out).sort();
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** numpy's round: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function clip(p: number): number {
  return p < 0 ? 0 : p > 1 ? 1 : p;
}
