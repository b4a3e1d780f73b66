import type { Band, PerformanceSeries, WindowMetrics } from './api/types.js';

/** An estimate as the console shows it, always marked as one: "est. 0.979 (95%: 0.975–0.982)". */
export function estimateText(b: Band, digits = 3): string {
  return `est. ${b.value.toFixed(digits)} (95%: ${b.low.toFixed(digits)}–${b.high.toFixed(digits)})`;
}

/**
 * The estimated AUC of a series over a window (its whole range or one
 * bucket): the estimate with its band, or why there is none. The series
 * says once why its version cannot be estimated; a window with no scored
 * prediction has nothing to estimate, and one whose scores expect under one
 * positive or negative has no AUC to estimate.
 */
export function estimatedAuc(series: PerformanceSeries, window: WindowMetrics): string {
  const e = series.estimate;
  if (!e) return '—';
  if (!e.available) return `no estimate: ${e.message}`;
  if (window.estimated_auc) return estimateText(window.estimated_auc);
  if (window.estimated_auc === null) return 'est. — (too few of a class expected)';
  return '—';
}
