import { describe, expect, it } from 'vitest';
import { rocAuc } from '../stats/roc-auc.js';
import { aucBar, aucBarPolicy, aucBelowBar, aucFromRankSum, bucketBounds, meanInterval } from './performance-math.js';

describe('performance arithmetic', () => {
  it('turns a positive mid-rank sum into the same AUC as the Mann-Whitney AUC', () => {
    const labels = [1, 0, 1, 1, 0, 0, 1];
    const scores = [0.9, 0.3, 0.3, 0.7, 0.1, 0.7, 0.5];
    // Mid-ranks of the sorted scores 0.1, 0.3, 0.3, 0.5, 0.7, 0.7, 0.9 are 1, 2.5, 2.5, 4, 5.5, 5.5, 7.
    const positiveRankSum = 7 + 2.5 + 5.5 + 4;
    expect(aucFromRankSum(4, 7, positiveRankSum)).toBeCloseTo(rocAuc(labels, scores), 15);
    expect(aucFromRankSum(0, 3, 0)).toBeNaN();
  });

  it('gives a t interval for a mean, and none below two values', () => {
    const r = meanInterval([1, 2, 3, 4]);
    expect(r.mean).toBe(2.5);
    // R: t.test(c(1, 2, 3, 4))$conf.int
    expect(r.ci95![0]).toBeCloseTo(0.4457397432394792, 10);
    expect(r.ci95![1]).toBeCloseTo(4.5542602567605206, 10);
    expect(meanInterval([5]).ci95).toBeNull();
    expect(meanInterval([]).count).toBe(0);
  });

  it('judges AUC against auc_min, or the validation AUC minus the margin, once there are enough labels', () => {
    const byMargin = aucBarPolicy({ min_labels: 100 });
    expect(aucBar(byMargin, 0.91)).toBeCloseTo(0.86, 12);
    expect(aucBelowBar(0.85, 100, byMargin, 0.91)).toBe(1);
    expect(aucBelowBar(0.87, 100, byMargin, 0.91)).toBe(0);
    expect(aucBelowBar(0.5, 99, byMargin, 0.91)).toBeUndefined();
    expect(aucBelowBar(0.5, 500, byMargin, undefined)).toBeUndefined();
    const floor = aucBarPolicy({ auc_min: 0.8, auc_margin: 0.01 });
    expect(floor.minLabels).toBe(200);
    expect(aucBelowBar(0.85, 200, floor, 0.99)).toBe(0);
  });

  it('aligns buckets to the epoch', () => {
    expect(bucketBounds(2, 3_600_000)).toEqual({ window_start: '1970-01-01T02:00:00.000Z', window_end: '1970-01-01T03:00:00.000Z' });
  });
});
