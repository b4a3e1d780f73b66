/**
 * Score histograms kept per bucket.
 *
 * - Every prediction's score (binary models) on 1,000 equal bins of [0, 1]:
 *   what confidence-based performance estimation (CBPE) reads.
 * - Labelled scores per class on finer bins, equal in relative width (256
 *   per octave from 2^-16 up to 1, one bin below and one at 1 or above),
 *   so scores crowded near 0, as in fraud and default models, still spread
 *   over many bins. AUC from them is off by at most the error bound below.
 */
export const SCORE_BINS = 1000;
const OCTAVES = 16;
const PER_OCTAVE = 256;
export const LABEL_BINS = OCTAVES * PER_OCTAVE + 2;

/** Bin of a score on SCORE_BINS equal bins of [0, 1] (clamped); -1 for a non-finite score. */
export function scoreBin(s: number): number {
  if (!Number.isFinite(s)) return -1;
  if (s <= 0) return 0;
  if (s >= 1) return SCORE_BINS - 1;
  return Math.min(SCORE_BINS - 1, Math.floor(s * SCORE_BINS));
}

/** Bin of a labelled score on the fine relative grid; monotone in the score. */
export function labelBin(s: number): number {
  if (!(s >= 2 ** -OCTAVES)) return 0;
  if (s >= 1) return LABEL_BINS - 1;
  const e = Math.floor(Math.log2(s));
  // log2 can round across a power of two: keep the mantissa in [1, 2).
  const exp = s < 2 ** e ? e - 1 : s >= 2 ** (e + 1) ? e + 1 : e;
  const m = s / 2 ** exp - 1;
  return 1 + (exp + OCTAVES) * PER_OCTAVE + Math.min(PER_OCTAVE - 1, Math.floor(m * PER_OCTAVE));
}

/** Element-wise sum into `into` (same length). */
export function addCounts(into: Float64Array, add: ArrayLike<number> | null | undefined): void {
  if (!add) return;
  for (let i = 0; i < add.length && i < into.length; i++) into[i] += add[i];
}
