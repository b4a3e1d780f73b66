import type { VersionCalibration } from '../estimate/calibration.js';
import { type Band, estimatePerformance, type EstimateRefusal } from '../estimate/cbpe.js';

/** The estimated figures a bucket carries beside its realised ones; absent (empty) where there is no estimate. */
export interface EstimateFields {
  estimated_auc?: Band | null;
  estimated_accuracy?: Band;
  estimated_positive_rate?: Band;
}

/** What a series says of its estimates: on what calibration they rest, or why there are none. */
export type SeriesEstimate =
  | { available: true; calibration_error: number; max_calibration_error: number }
  | { available: false; reason: EstimateRefusal['reason'] | 'not_binary'; message: string; calibration_error?: number; max_calibration_error?: number };

/**
 * CBPE fields of one bucket: `estimated_auc` (null when the scores expect
 * under one of a class), `estimated_accuracy`, `estimated_positive_rate`,
 * each `{value, low, high}` (95%); none when the version's calibration does
 * not allow an estimate or the bucket has no scored prediction.
 */
export function estimateFields(calibration: VersionCalibration | null | undefined, histogram: ArrayLike<number> | undefined, maxEce: number): EstimateFields {
  if (!histogram) return {};
  const e = estimatePerformance(calibration, histogram, { maxEce });
  if (!e.estimated) return {};
  return { estimated_auc: e.estimated_auc, estimated_accuracy: e.estimated_accuracy, estimated_positive_rate: e.estimated_positive_rate };
}

/** Whether a version's calibration allows estimates at all, said once per series. */
export function seriesEstimate(task: string, calibration: VersionCalibration | null | undefined, maxEce: number): SeriesEstimate {
  if (task !== 'binary_classification') return { available: false, reason: 'not_binary', message: 'estimates are made for binary models only' };
  // An empty histogram of one bin only tests the calibration, never the window.
  const e = estimatePerformance(calibration, [0], { maxEce });
  if (e.estimated) return { available: true, calibration_error: e.calibration_error, max_calibration_error: maxEce };
  if (e.reason === 'empty_window') return { available: true, calibration_error: calibration!.ece, max_calibration_error: maxEce };
  return { available: false, reason: e.reason, message: e.message, calibration_error: e.calibration_error, max_calibration_error: e.max_calibration_error };
}
