import { describe, expect, it } from 'vitest';
import type { PerformanceSeries, WindowMetrics } from './api/types.js';
import { estimatedAuc } from './estimates.js';

const window = (extra: Partial<WindowMetrics> = {}): WindowMetrics => ({
  window_start: '2026-12-07T00:00:00Z',
  window_end: '2026-12-08T00:00:00Z',
  predictions: 600,
  labels: 0,
  auc: null,
  accuracy: null,
  log_loss: null,
  ...extra,
});
const series = (estimate: PerformanceSeries['estimate'], w: WindowMetrics): PerformanceSeries => ({ version: 1, variant: 'production', validation: { auc: 0.98 }, window: w, buckets: [w], estimate });

describe("the console's estimated AUC", () => {
  it('marks an estimate as one and gives its 95% band', () => {
    const w = window({ estimated_auc: { value: 0.97861, low: 0.97512, high: 0.98213 } });
    expect(estimatedAuc(series({ available: true, calibration_error: 0.0113, max_calibration_error: 0.05 }, w), w)).toBe('est. 0.979 (95%: 0.975–0.982)');
  });

  it("says why a version cannot be estimated, in the service's words", () => {
    const w = window();
    const message = 'the version has no calibration: upload a baseline with labels to get estimates';
    expect(estimatedAuc(series({ available: false, reason: 'no_calibration', message }, w), w)).toBe(`no estimate: ${message}`);
  });

  it('tells a window whose scores expect too few of a class from one with no scores, and from a service without estimates', () => {
    const calibrated = { available: true as const, calibration_error: 0.01, max_calibration_error: 0.05 };
    const few = window({ estimated_auc: null });
    expect(estimatedAuc(series(calibrated, few), few)).toBe('est. — (too few of a class expected)');
    const empty = window({ predictions: 0 });
    expect(estimatedAuc(series(calibrated, empty), empty)).toBe('—');
    expect(estimatedAuc(series(undefined, few), few)).toBe('—');
  });
});
