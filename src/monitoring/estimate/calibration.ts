import { SCORE_BINS, scoreBin } from './score-histogram.js';

/** Bins of the expected calibration error: the usual ten equal-width bins, so that sparse fine bins do not read as miscalibration. */
export const ECE_BINS = 10;

/**
 * A binary version's calibration on its baseline, computed at upload from
 * the baseline rows' scores (the model's own) and labels: per score bin,
 * how many rows, how many of them positive, and the sum of their scores.
 * Stored with the version (`model_versions.calibration`); CBPE trusts the
 * model's scores as probabilities only where `ece` is small.
 */
export interface VersionCalibration {
  bins: number;
  /** Baseline rows with a score and a 0/1 label. */
  rows: number;
  positives: number;
  /** Expected calibration error over ECE_BINS equal-width bins: the row-weighted mean |mean score - positive share|. */
  ece: number;
  eceBins: number;
  counts: number[];
  positiveCounts: number[];
  scoreSums: number[];
}

/**
 * The calibration of `scores` against `labels` (1 positive, 0 negative; a
 * NaN label or score leaves the row out). Undefined when no row has both,
 * or when any label is not 0 or 1 (then the model is not a binary one the
 * way CBPE needs it).
 */
export function buildCalibration(scores: ArrayLike<number>, labels: ArrayLike<number>, bins = SCORE_BINS): VersionCalibration | undefined {
  if (scores.length !== labels.length) throw new RangeError(`${labels.length} labels for ${scores.length} scores`);
  const counts = new Array<number>(bins).fill(0);
  const positiveCounts = new Array<number>(bins).fill(0);
  const scoreSums = new Array<number>(bins).fill(0);
  let rows = 0;
  let positives = 0;
  for (let i = 0; i < scores.length; i++) {
    const y = labels[i];
    if (Number.isNaN(y)) continue;
    if (y !== 0 && y !== 1) return undefined;
    const b = scoreBin(scores[i], bins);
    if (b < 0) continue;
    counts[b]++;
    scoreSums[b] += scores[i];
    positiveCounts[b] += y;
    positives += y;
    rows++;
  }
  if (rows === 0) return undefined;
  return { bins, rows, positives, ece: calibrationError(counts, positiveCounts, scoreSums), eceBins: ECE_BINS, counts, positiveCounts, scoreSums };
}

/** Expected calibration error from fine bins, regrouped into ECE_BINS equal-width bins. */
export function calibrationError(counts: readonly number[], positiveCounts: readonly number[], scoreSums: readonly number[]): number {
  const per = counts.length / ECE_BINS;
  if (!Number.isInteger(per)) throw new RangeError(`${counts.length} bins do not regroup into ${ECE_BINS}`);
  let total = 0;
  let gap = 0;
  for (let g = 0; g < ECE_BINS; g++) {
    let n = 0;
    let pos = 0;
    let sum = 0;
    for (let b = g * per; b < (g + 1) * per; b++) {
      n += counts[b];
      pos += positiveCounts[b];
      sum += scoreSums[b];
    }
    if (n === 0) continue;
    gap += Math.abs(sum - pos);
    total += n;
  }
  return total === 0 ? NaN : gap / total;
}
