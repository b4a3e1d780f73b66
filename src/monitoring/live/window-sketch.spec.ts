import { describe, expect, it } from 'vitest';
import type { BaselineSketch } from '../sketch/baseline-sketch.js';
import { LIVE_SAMPLE_SIZE, NumericTally, UNSEEN_TRACKED } from './column-tally.js';
import { buildLayout } from './series-layout.js';
import { mergePartials } from './window-merge.js';
import { WindowSketch, windowStartOf } from './window-sketch.js';

const baseline: BaselineSketch = {
  row_count: 4,
  features: {
    x: { type: 'numeric', count: 4, missing: 0, edges: [0, 1, 2], counts: [2, 2], quantiles: {} as any, mean: 1, std: 1, min: 0, max: 2, sample: [0, 0.5, 1.5, 2] },
    c: { type: 'categorical', count: 4, missing: 0, frequencies: { '0': 2, '1': 1, '2.5': 1 } },
  },
  prediction: { type: 'numeric', count: 4, missing: 0, edges: [0, 0.5, 1], counts: [2, 2], quantiles: {} as any, mean: 0.5, std: 0.3, min: 0, max: 1, sample: [0, 0.2, 0.7, 1] },
};
const layout = () => buildLayout(['x', 'c'], baseline);

describe('live window sketches', () => {
  it('bins numeric values on the baseline edges with under- and overflow, and counts missing values apart', () => {
    const s = new WindowSketch(layout(), 0, 1000, 7);
    const data = Float32Array.from([-1, 0, 0.5, 0, 1, 1, 2, 2.5, 3, 0, NaN, NaN]);
    s.observe(data, 2, 6, [{ score: 0.1 }, { score: 0.9 }, {}, { score: 2 }, { score: 0.5 }, { score: 0.5 }], 3);
    const p = s.toPartial();
    expect(p.rows).toBe(6);
    expect(p.requests).toBe(1);
    expect(p.features[0]!.counts).toEqual([1, 1, 2, 1]);
    expect(p.features[0]!.missing).toBe(1);
    expect(p.features[0]!.sample).toEqual([-1, 0.5, 1, 2, 3]);
    expect(p.features[1]!.counts).toEqual([3, 1, 1, 0]);
    expect(p.prediction!.counts).toEqual([0, 1, 3, 1]);
    expect(p.prediction!.missing).toBe(1);
  });

  it('counts categories by the baseline keys, float32 codes included, and remembers unseen values', () => {
    const s = new WindowSketch(layout(), 0, 1000, 7);
    const data = Float32Array.from([0, 0, 0, 1, 0, 2.5, 0, 7, 0, 7, 0, NaN]);
    s.observe(data, 2, 6, [], 1);
    const c = s.toPartial().features[1]!;
    expect(c.counts).toEqual([1, 1, 1, 2]);
    expect(c.missing).toBe(1);
    expect(c.unseen).toEqual({ '7': 2 });
  });

  it('stops remembering new unseen values past its bound but keeps counting them', () => {
    const s = new WindowSketch(layout(), 0, 1000, 7);
    const n = UNSEEN_TRACKED + 10;
    const data = new Float64Array(n * 2);
    for (let i = 0; i < n; i++) data[i * 2 + 1] = 100 + i;
    s.observe(data, 2, n, [], 1);
    const p = s.toPartial();
    const c = p.features[1]!;
    expect(c.counts[3]).toBe(n);
    expect(p.prediction!.missing).toBe(n);
    expect(Object.keys(c.unseen!)).toHaveLength(UNSEEN_TRACKED);
  });

  it('skips the features of a row whose width does not match the layout but still counts it', () => {
    const s = new WindowSketch(layout(), 0, 1000, 7);
    s.observe(new Float32Array(3), 3, 1, [{ score: 0.2 }], 1);
    const p = s.toPartial();
    expect(p.rows).toBe(1);
    expect(p.features[0]!.counts.reduce((a, b) => a + b, 0)).toBe(0);
  });

  it('merges replicas: counts add up and a merged sample keeps every value while they fit', () => {
    const a = new WindowSketch(layout(), 0, 1000, 1);
    const b = new WindowSketch(layout(), 0, 1000, 2);
    a.observe(Float32Array.from([0.25, 0, 1.5, 1]), 2, 2, [{ score: 0.1 }, { score: 0.2 }], 1);
    b.observe(Float32Array.from([1.75, 2.5]), 2, 1, [{ score: 0.9 }], 4000);
    b.observeError(30);
    const m = mergePartials([a.toPartial(), b.toPartial()]);
    expect(m).toMatchObject({ rows: 3, requests: 3, errors: 1 });
    expect(m.features[0]!.sample).toEqual([0.25, 1.5, 1.75]);
    expect(m.features[0]!.counts).toEqual([0, 1, 2, 0]);
    expect(m.features[1]!.unseen).toEqual({});
    expect(m.latency.reduce((x, y) => x + y, 0)).toBe(3);
  });

  it('merges full reservoirs in proportion to what each replica saw', () => {
    const a = new WindowSketch(layout(), 0, 1000, 1);
    const b = new WindowSketch(layout(), 0, 1000, 2);
    const n = 3 * LIVE_SAMPLE_SIZE;
    const fill = (s: WindowSketch, rows: number, value: number) => {
      const d = new Float64Array(rows * 2).fill(value);
      s.observe(d, 2, rows, [], 1);
    };
    fill(a, n, 0.5);
    fill(b, n / 3, 1.5);
    const m = mergePartials([a.toPartial(), b.toPartial()]);
    const s = m.features[0]!.sample!;
    expect(s).toHaveLength(LIVE_SAMPLE_SIZE);
    expect(s.filter((v) => v === 0.5)).toHaveLength(1500);
    expect(m.features[0]!.seen).toBe(n + n / 3);
  });

  it('keeps a uniform sample of a long stream (each quarter of it holds a quarter of the sample)', () => {
    const s = new NumericTally({ kind: 'numeric', name: 'x', edges: Float64Array.from([0, 50_000, 100_000]) }, 11);
    const n = 100_000;
    for (let i = 0; i < n; i++) s.add(i);
    const p = s.toPartial();
    expect(p.seen).toBe(n);
    expect(p.sample).toHaveLength(LIVE_SAMPLE_SIZE);
    expect(new Set(p.sample).size).toBe(LIVE_SAMPLE_SIZE);
    const quarters = [0, 0, 0, 0];
    for (const v of p.sample!) quarters[Math.floor((v / n) * 4)]++;
    // Chi-square with 3 degrees of freedom, p = 0.001.
    const e = LIVE_SAMPLE_SIZE / 4;
    expect(quarters.reduce((a, q) => a + (q - e) ** 2 / e, 0)).toBeLessThan(16.266);
  });

  it('finds codes outside the lookup table, negative or large, by their map entry', () => {
    const b: BaselineSketch = { ...baseline, features: { c: { type: 'categorical', count: 3, missing: 0, frequencies: { '-1': 1, '5000': 1, '3': 1 } } } };
    const s = new WindowSketch(buildLayout(['c'], b), 0, 1000, 1);
    s.observe(Float32Array.from([-1, 5000, 3, 4, 5000]), 1, 5, [], 1);
    // Categories in the baseline's stored order: "3", "5000", "-1" (integer keys first, as objects list them).
    expect(s.toPartial().features[0]!.counts).toEqual([1, 2, 1, 1]);
  });

  it('aligns windows to multiples of their length since the epoch', () => {
    expect(windowStartOf(1_000_123, 300_000)).toBe(900_000);
    expect(windowStartOf(900_000, 300_000)).toBe(900_000);
  });
});
