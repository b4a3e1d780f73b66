import { describe, expect, it } from 'vitest';
import { expectedAuc } from '../monitoring/estimate/cbpe.js';
import { scoreHistogram } from '../monitoring/estimate/score-histogram.js';
import { judgeEstimatedQuality } from './quality-check.js';

const q = { min_labels: 200, margin: 0.02, confidence: 0.95, allow_estimate: true };

/** n scores spread as x^power: a high power crowds them near 0 and the estimate's AUC follows the spread. */
const estimate = (n: number, power: number) => expectedAuc(scoreHistogram(Array.from({ length: n }, (_, i) => ((i + 0.5) / n) ** power)))!;

describe('the estimated stand-in for the rollout quality check', () => {
  it('passes a candidate whose estimated AUC matches the baseline, and says it is an estimate', () => {
    const same = estimate(5000, 1);
    const r = judgeEstimatedQuality(same, same, q, { candidate_labels: 3 });
    expect(r).toMatchObject({ check: 'auc', outcome: 'pass', limit: -0.02, details: { estimated: true, candidate_labels: 3, difference: 0 } });
    expect(r!.note).toMatch(/^estimated \(CBPE, labels short\)/);
    expect(r!.value!).toBeLessThan(0);
    expect(r!.value!).toBeGreaterThan(-0.02);
  });

  it('fails a candidate whose whole band sits well under the baseline', () => {
    const baseline = { value: 0.95, low: 0.945, high: 0.955 };
    const candidate = { value: 0.85, low: 0.84, high: 0.86 };
    const r = judgeEstimatedQuality(candidate, baseline, q, {});
    expect(r).toMatchObject({ outcome: 'fail' });
    expect(r!.details!.lower_bound as number).toBeLessThan(-0.1);
  });

  it('leaves the check to the labels when either side has no estimate', () => {
    expect(judgeEstimatedQuality(null, estimate(100, 1), q, {})).toBeNull();
    expect(judgeEstimatedQuality(estimate(100, 1), null, q, {})).toBeNull();
  });
});
