import { describe, expect, it } from 'vitest';
import type { VersionCalibration } from '../estimate/calibration.js';
import { scoreHistogram } from '../estimate/score-histogram.js';
import type { WindowEstimate } from './performance-estimates.js';
import { estimateFields, seriesEstimate } from './estimate-fields.js';
import { latestEstimates } from './performance-gauges.js';

const calibration = (ece: number) => ({ ece }) as VersionCalibration;
const spread = scoreHistogram(Array.from({ length: 2000 }, (_, i) => (i + 0.5) / 2000));

describe('estimated fields of a performance bucket', () => {
  it('carries the three estimates with their bands when the calibration allows', () => {
    const f = estimateFields(calibration(0.01), spread, 0.05);
    expect(Object.keys(f).sort()).toEqual(['estimated_accuracy', 'estimated_auc', 'estimated_positive_rate']);
    expect(f.estimated_positive_rate!.value).toBeCloseTo(0.5, 6);
    expect(f.estimated_auc!.low).toBeLessThan(f.estimated_auc!.value);
  });

  it('carries none for a poorly calibrated version, one without calibration, or a bucket without scores', () => {
    expect(estimateFields(calibration(0.2), spread, 0.05)).toEqual({});
    expect(estimateFields(null, spread, 0.05)).toEqual({});
    expect(estimateFields(calibration(0.01), undefined, 0.05)).toEqual({});
    expect(estimateFields(calibration(0.01), new Float64Array(1000), 0.05)).toEqual({});
  });

  it('says once per series whether estimates are available and why not', () => {
    expect(seriesEstimate('binary_classification', calibration(0.01), 0.05)).toEqual({ available: true, calibration_error: 0.01, max_calibration_error: 0.05 });
    expect(seriesEstimate('binary_classification', calibration(0.2), 0.05)).toMatchObject({ available: false, reason: 'poorly_calibrated', calibration_error: 0.2 });
    expect(seriesEstimate('binary_classification', null, 0.05)).toMatchObject({ available: false, reason: 'no_calibration' });
    expect(seriesEstimate('regression', null, 0.05)).toMatchObject({ available: false, reason: 'not_binary' });
  });
});

describe('the window the estimated-AUC gauge shows', () => {
  const w = (start: number, estimated = true) =>
    ({ version: 1, variant: 'v1', windowStart: new Date(start), windowEnd: new Date(start + 300), histogram: spread, calibration: null, estimate: estimated ? {} : null }) as unknown as WindowEstimate;

  it('is the latest ended window with an estimate, else the one in progress', () => {
    expect(latestEstimates([w(0), w(300), w(600)], 600).map((x) => x.windowStart.getTime())).toEqual([300]);
    expect(latestEstimates([w(0), w(300, false), w(600)], 600).map((x) => x.windowStart.getTime())).toEqual([0]);
    expect(latestEstimates([w(600)], 600).map((x) => x.windowStart.getTime())).toEqual([600]);
    expect(latestEstimates([w(0, false)], 600)).toEqual([]);
  });
});
