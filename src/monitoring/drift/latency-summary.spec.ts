import { describe, expect, it } from 'vitest';
import { LATENCY_BOUNDS_MS } from '../live/window-sketch.js';
import { latencySummary, quantile } from './latency-summary.js';

describe('window latency summary', () => {
  const counts = new Array(LATENCY_BOUNDS_MS.length + 1).fill(0);

  it('interpolates inside the bucket the rank falls in', () => {
    const c = [...counts];
    c[2] = 100; // (2, 5] ms
    expect(quantile(c, 0.5)).toBeCloseTo(3.5, 12);
    expect(quantile(c, 0.99)).toBeCloseTo(4.97, 12);
  });

  it('reports the last bound for ranks in the overflow bucket and null for an empty window', () => {
    const c = [...counts];
    c[0] = 1;
    c[LATENCY_BOUNDS_MS.length] = 99;
    expect(quantile(c, 0.99)).toBe(LATENCY_BOUNDS_MS[LATENCY_BOUNDS_MS.length - 1]);
    expect(latencySummary(counts)).toMatchObject({ p50: null, p99: null });
  });
});
