import { chiSquareSf } from './gamma.js';

export interface ChiSquareResult {
  statistic: number;
  pvalue: number;
  /** Categories - 1. */
  dof: number;
}

/**
 * Pearson's chi-square goodness-of-fit test, equal to
 * `scipy.stats.chisquare(observed, expected)`: expected frequencies must sum
 * to the observed total and be positive.
 */
export function chiSquareTest(observed: ArrayLike<number>, expected: ArrayLike<number>): ChiSquareResult {
  if (observed.length !== expected.length) throw new RangeError(`${observed.length} observed and ${expected.length} expected frequencies`);
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    const diff = observed[i] - expected[i];
    statistic += (diff * diff) / expected[i];
  }
  const dof = observed.length - 1;
  return { statistic, pvalue: chiSquareSf(statistic, dof), dof };
}

/**
 * The bucket for live categories the baseline never saw. Their expected
 * count from the baseline is 0, which makes Pearson's statistic infinite
 * for a single stray value; so they are pooled into one bucket that gets a
 * pseudo-count of half an observation in the baseline (the Jeffreys /
 * Krichevsky-Trofimov prior for an unseen outcome). A few unseen values in
 * a large window then give a large but finite statistic, significant as it
 * should be, and the Jensen-Shannon effect size (which needs no smoothing)
 * decides whether the shift is big enough to matter.
 */
export const UNSEEN_CATEGORY = '(unseen)';
export const UNSEEN_PSEUDO_COUNT = 0.5;

export interface AlignedCategories {
  /** Baseline categories in their stored order, then UNSEEN_CATEGORY if live had any. */
  categories: string[];
  /** Baseline frequency per category (0 for the unseen bucket). */
  baseline: number[];
  /** Live frequency per category. */
  live: number[];
}

/**
 * Lines a live frequency table up with the baseline's categories. A
 * category with a zero baseline frequency counts as unseen, since it has no
 * expected share either.
 */
export function alignCategories(baseline: Record<string, number>, live: Record<string, number>): AlignedCategories {
  const categories: string[] = [];
  const base: number[] = [];
  const obs: number[] = [];
  for (const [k, n] of Object.entries(baseline)) {
    if (!(n > 0)) continue;
    categories.push(k);
    base.push(n);
    obs.push(Object.hasOwn(live, k) ? live[k] : 0);
  }
  let unseen = 0;
  for (const [k, n] of Object.entries(live)) if (!(Object.hasOwn(baseline, k) && baseline[k] > 0)) unseen += n;
  if (unseen > 0) {
    categories.push(UNSEEN_CATEGORY);
    base.push(0);
    obs.push(unseen);
  }
  return { categories, baseline: base, live: obs };
}

/**
 * Chi-square test of a live frequency table against the baseline's
 * proportions, with expected counts scaled to the live total. Equal to
 * `scipy.stats.chisquare(aligned.live, expected)` where expected is the
 * baseline counts (plus the unseen pseudo-count) times live total / their sum.
 */
export function chiSquareAgainstBaseline(
  baseline: Record<string, number>,
  live: Record<string, number>,
): ChiSquareResult & { categories: string[]; observed: number[]; expected: number[] } {
  const aligned = alignCategories(baseline, live);
  const weights = aligned.categories.map((c, i) => (c === UNSEEN_CATEGORY ? UNSEEN_PSEUDO_COUNT : aligned.baseline[i]));
  const weightTotal = weights.reduce((a, b) => a + b, 0);
  const liveTotal = aligned.live.reduce((a, b) => a + b, 0);
  const expected = weights.map((w) => (liveTotal * w) / weightTotal);
  if (liveTotal === 0 || aligned.categories.length < 2) {
    return { statistic: NaN, pvalue: NaN, dof: aligned.categories.length - 1, categories: aligned.categories, observed: aligned.live, expected };
  }
  return { ...chiSquareTest(aligned.live, expected), categories: aligned.categories, observed: aligned.live, expected };
}
