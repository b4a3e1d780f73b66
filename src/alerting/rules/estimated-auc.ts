import type { VersionCalibration } from '../../monitoring/estimate/calibration.js';
import { estimatePerformance } from '../../monitoring/estimate/cbpe.js';
import type { AlertPolicy } from './alert-policy.js';
import type { Judgement } from './conditions.js';

/** One window of a series as the `estimated_auc` rule needs it: its score histogram, no labels. */
export interface EstimateWindow {
  /** The window's 1,000-bin histogram of all prediction scores. */
  histogram: ArrayLike<number>;
  /** The version's calibration on its labelled baseline (VersionBaselines.calibration). */
  calibration: VersionCalibration | null | undefined;
  validationAuc: number | null;
  /** MODELGATE_CBPE_MAX_ECE. */
  maxEce: number;
}

const UNJUDGED = (summary: string, details: Record<string, unknown> = {}): Judgement => ({ judged: false, active: false, summary, details });

/**
 * The `estimated_auc` rule, off by default: pages before labels arrive when
 * CBPE is confident the AUC is under the bar, i.e. the whole 95% band of the
 * estimate lies below `estimated_auc_min` or the validation AUC minus
 * `estimated_auc_margin`. A band that reaches the bar is not enough: an
 * estimate is weaker evidence than labels, and the `auc` rule judges those.
 */
export function judgeEstimatedAuc(p: AlertPolicy, w: EstimateWindow): Judgement {
  const relativeBar = p.estimatedAucMargin !== null && w.validationAuc !== null ? w.validationAuc - p.estimatedAucMargin : null;
  if (p.estimatedAucMin === null && relativeBar === null) return UNJUDGED('estimated_auc is off: neither estimated_auc_min nor estimated_auc_margin (with a validation AUC)');
  const estimate = estimatePerformance(w.calibration, w.histogram, { maxEce: w.maxEce });
  if (!estimate.estimated) return UNJUDGED(`no estimate: ${estimate.message}`, { reason: estimate.reason });
  const auc = estimate.estimated_auc;
  if (auc === null) return UNJUDGED('no estimate: the window expects too few of one class for an AUC', { rows: estimate.rows });
  const bar = Math.max(p.estimatedAucMin ?? -Infinity, relativeBar ?? -Infinity);
  return {
    judged: true,
    active: auc.high < bar,
    summary: `estimated AUC ${auc.value.toFixed(4)} (95% ${auc.low.toFixed(4)}-${auc.high.toFixed(4)}, bar ${bar.toFixed(4)}, ${estimate.rows} predictions, no labels)`,
    details: {
      estimated_auc: auc,
      estimated: true,
      bar,
      estimated_auc_min: p.estimatedAucMin,
      estimated_auc_margin: p.estimatedAucMargin,
      validation_auc: w.validationAuc,
      rows: estimate.rows,
      calibration_error: estimate.calibration_error,
    },
  };
}
