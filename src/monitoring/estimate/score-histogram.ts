/**
 * The score histogram CBPE reads: 1,000 equal-width bins over [0, 1] of a
 * binary model's positive-class score. Bin `i` holds scores in
 * [i/1000, (i+1)/1000); a score of exactly 1 falls in the last bin, a score
 * outside [0, 1] in the nearest end bin, and a non-finite score in none.
 * The monitor keeps one of these per bucket and series for all predictions;
 * the registry keeps one with labels for the version's baseline.
 */
export const SCORE_BINS = 1000;

/** The bin of `score`, or -1 when the score is not a number. */
export function scoreBin(score: number, bins = SCORE_BINS): number {
  if (!Number.isFinite(score)) return -1;
  const b = Math.floor(score * bins);
  return b < 0 ? 0 : b >= bins ? bins - 1 : b;
}

/** The centre of bin `b`: the score every prediction in it is taken to have. */
export function binMid(b: number, bins = SCORE_BINS): number {
  return (b + 0.5) / bins;
}

/** Counts of `scores` per bin (tests, and merging raw scores into a window). */
export function scoreHistogram(scores: ArrayLike<number>, bins = SCORE_BINS): Float64Array {
  const counts = new Float64Array(bins);
  for (let i = 0; i < scores.length; i++) {
    const b = scoreBin(scores[i], bins);
    if (b >= 0) counts[b]++;
  }
  return counts;
}
