import type { VersionCalibration } from './calibration.js';
import { binMid } from './score-histogram.js';

/** A figure with its 95% band. */
export interface Band {
  value: number;
  low: number;
  high: number;
}

/** What CBPE expects a window's labels to show, from its scores alone. */
export interface PerformanceEstimate {
  estimated: true;
  /** Predictions in the window's histogram. */
  rows: number;
  /** The baseline's expected calibration error the estimate rests on. */
  calibration_error: number;
  /** Null when the window's scores expect too few of one class for an AUC (under one expected positive or negative). */
  estimated_auc: Band | null;
  estimated_accuracy: Band;
  /** The share of positive labels the window should turn out to have. */
  estimated_positive_rate: Band;
}

export type EstimateRefusalReason = 'no_calibration' | 'poorly_calibrated' | 'empty_window';

/** Why there is no estimate: said in the answer, never a silent gap. */
export interface EstimateRefusal {
  estimated: false;
  reason: EstimateRefusalReason;
  message: string;
  calibration_error?: number;
  max_calibration_error?: number;
}

export const DEFAULT_MAX_ECE = 0.05;
/** Two-sided 95% normal quantile. */
const Z95 = 1.959963984540054;
/** The score above which the predict answer's label is positive (argmax of two probabilities). */
const THRESHOLD = 0.5;

/**
 * Confidence-based performance estimation (NannyML's CBPE) for a binary
 * model: when the baseline shows the model's scores are calibrated (its
 * expected calibration error at most `maxEce`), a prediction of score p is
 * positive with probability p, so a window's expected confusion counts,
 * accuracy, positive rate and ROC AUC follow from its score histogram
 * alone, before any label arrives. Scores are taken at their bin's centre
 * (1,000 bins: within 0.0005).
 *
 * The 95% bands are the spread the realised figure would have around the
 * estimate with this many predictions if the calibration holds: Bernoulli
 * labels per prediction for accuracy and positive rate, and for AUC the
 * DeLong variance with each bin's expected placements (so a small window,
 * or one with few expected positives, gets a wide band). They do not cover
 * a calibration that no longer holds (concept drift): that is what labels,
 * once they come, are for.
 */
export function estimatePerformance(
  calibration: VersionCalibration | null | undefined,
  windowHistogram: ArrayLike<number>,
  opts: { maxEce?: number } = {},
): PerformanceEstimate | EstimateRefusal {
  const maxEce = opts.maxEce ?? DEFAULT_MAX_ECE;
  if (!calibration) {
    return { estimated: false, reason: 'no_calibration', message: 'the version has no calibration: upload a baseline with labels to get estimates' };
  }
  if (!(calibration.ece <= maxEce)) {
    return {
      estimated: false,
      reason: 'poorly_calibrated',
      message: `the version's scores are not calibrated on its baseline (expected calibration error ${calibration.ece.toFixed(4)} > ${maxEce})`,
      calibration_error: calibration.ece,
      max_calibration_error: maxEce,
    };
  }
  const bins = windowHistogram.length;
  let n = 0;
  let positives = 0;
  let positiveVar = 0;
  let correct = 0;
  let correctVar = 0;
  for (let b = 0; b < bins; b++) {
    const c = windowHistogram[b];
    if (!(c > 0)) continue;
    const p = binMid(b, bins);
    const q = p > THRESHOLD ? p : 1 - p;
    n += c;
    positives += c * p;
    positiveVar += c * p * (1 - p);
    correct += c * q;
    correctVar += c * q * (1 - q);
  }
  if (n === 0) return { estimated: false, reason: 'empty_window', message: 'the window has no scored predictions' };
  return {
    estimated: true,
    rows: n,
    calibration_error: calibration.ece,
    estimated_auc: expectedAuc(windowHistogram),
    estimated_accuracy: band(correct / n, Math.sqrt(correctVar) / n),
    estimated_positive_rate: band(positives / n, Math.sqrt(positiveVar) / n),
  };
}

/**
 * The AUC the labels are expected to show: bin b holds c·p expected
 * positives and c·(1-p) negatives; a positive outranks the negatives of
 * lower bins and ties half of its own bin's (Mann-Whitney with ties, as
 * roc_auc_score counts them). Its variance is DeLong's from the expected
 * placements: each positive's share of negatives below it, and each
 * negative's share of positives above it.
 */
export function expectedAuc(windowHistogram: ArrayLike<number>): Band | null {
  const bins = windowHistogram.length;
  let P = 0;
  let N = 0;
  for (let b = 0; b < bins; b++) {
    const c = windowHistogram[b];
    if (!(c > 0)) continue;
    const p = binMid(b, bins);
    P += c * p;
    N += c * (1 - p);
  }
  if (P < 1 || N < 1) return null;
  // Placements per bin, walking up from the lowest score.
  const v10 = new Float64Array(bins);
  const v01 = new Float64Array(bins);
  let negBelow = 0;
  let posBelow = 0;
  let sum10 = 0;
  for (let b = 0; b < bins; b++) {
    const c = windowHistogram[b];
    if (!(c > 0)) continue;
    const p = binMid(b, bins);
    const pos = c * p;
    const neg = c * (1 - p);
    v10[b] = (negBelow + 0.5 * neg) / N;
    v01[b] = (P - posBelow - pos + 0.5 * pos) / P;
    sum10 += pos * v10[b];
    negBelow += neg;
    posBelow += pos;
  }
  const auc = sum10 / P;
  let s10 = 0;
  let s01 = 0;
  for (let b = 0; b < bins; b++) {
    const c = windowHistogram[b];
    if (!(c > 0)) continue;
    const p = binMid(b, bins);
    s10 += c * p * (v10[b] - auc) ** 2;
    s01 += c * (1 - p) * (v01[b] - auc) ** 2;
  }
  const se = Math.sqrt(s10 / P / P + s01 / N / N);
  return band(auc, se);
}

function band(value: number, se: number): Band {
  return { value, low: Math.max(0, value - Z95 * se), high: Math.min(1, value + Z95 * se) };
}
