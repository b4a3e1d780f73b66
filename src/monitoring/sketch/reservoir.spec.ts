import { describe, expect, it } from 'vitest';
import { chiSquareSf } from '../stats/gamma.js';
import { hashString, Reservoir, SeededRandom } from './reservoir.js';

describe('SeededRandom', () => {
  it('repeats its stream for the same seed and differs for another', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const xs = Array.from({ length: 5 }, () => a.nextUint32());
    expect(Array.from({ length: 5 }, () => b.nextUint32())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.nextUint32())).not.toEqual(xs);
  });

  it('draws integers below a bound uniformly', () => {
    const r = new SeededRandom(7);
    const bound = 7;
    const counts = new Array<number>(bound).fill(0);
    const draws = 70_000;
    for (let i = 0; i < draws; i++) counts[r.nextBelow(bound)]++;
    const expected = draws / bound;
    const statistic = counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    expect(chiSquareSf(statistic, bound - 1)).toBeGreaterThan(0.001);
  });
});

describe('hashString', () => {
  it('is FNV-1a', () => {
    expect(hashString('')).toBe(0x811c9dc5);
    expect(hashString('a')).toBe(0xe40c292c);
  });
});

describe('Reservoir', () => {
  it('keeps every value while fewer than its capacity have been offered', () => {
    const r = new Reservoir(5, new SeededRandom(1));
    [3, 1, 2].forEach((v) => r.offer(v));
    expect(Array.from(r.sortedSample())).toEqual([1, 2, 3]);
    expect(r.offered).toBe(3);
  });

  it('holds at most its capacity', () => {
    const r = new Reservoir(10, new SeededRandom(1));
    for (let i = 0; i < 1000; i++) r.offer(i);
    expect(r.sortedSample()).toHaveLength(10);
  });

  it('includes each offered value with equal probability', () => {
    const n = 20;
    const k = 5;
    const trials = 20_000;
    const hits = new Array<number>(n).fill(0);
    for (let t = 0; t < trials; t++) {
      const r = new Reservoir(k, new SeededRandom(t));
      for (let i = 0; i < n; i++) r.offer(i);
      for (const v of r.sortedSample()) hits[v]++;
    }
    const expected = (trials * k) / n;
    const statistic = hits.reduce((s, h) => s + (h - expected) ** 2 / expected, 0);
    // Inclusions are not independent across values, so this is a loose check of uniformity.
    expect(chiSquareSf(statistic, n - 1)).toBeGreaterThan(0.001);
  });

  it('draws the same sample from the same stream and seed', () => {
    const draw = (seed: number) => {
      const r = new Reservoir(50, new SeededRandom(seed));
      for (let i = 0; i < 10_000; i++) r.offer(i * 0.5);
      return Array.from(r.sortedSample());
    };
    expect(draw(9)).toEqual(draw(9));
    expect(draw(9)).not.toEqual(draw(10));
  });

  it('refuses a capacity that is not a non-negative integer', () => {
    expect(() => new Reservoir(-1, new SeededRandom(0))).toThrow(RangeError);
  });
});
