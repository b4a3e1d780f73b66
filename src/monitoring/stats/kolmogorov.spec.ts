import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kolmogorovSf, smirnovSf } from './kolmogorov.js';

const ref = JSON.parse(readFileSync(new URL('../../../test/reference/kolmogorov.json', import.meta.url), 'utf8')) as {
  kstwo_sf: [number, number, number][];
  smirnov: [number, number, number][];
};

/** Agreement to 1e-6 relative, or 1e-12 absolute where scipy's value is itself that close to 0. */
function agrees(actual: number, expected: number): boolean {
  return Math.abs(actual - expected) <= Math.max(1e-6 * Math.abs(expected), 1e-12);
}

describe('kolmogorovSf', () => {
  it(`matches scipy.stats.kstwo.sf on ${ref.kstwo_sf.length} (n, d) points covering every regime`, () => {
    const misses = ref.kstwo_sf.filter(([n, d, p]) => !agrees(kolmogorovSf(n, d), p));
    expect(misses.map(([n, d, p]) => ({ n, d, p, got: kolmogorovSf(n, d) }))).toEqual([]);
  });

  it('is 1 at and below d = 1/(2n) and 0 from d = 1 on', () => {
    expect(kolmogorovSf(10, 0)).toBe(1);
    expect(kolmogorovSf(10, 0.05)).toBe(1);
    expect(kolmogorovSf(10, 1)).toBe(0);
    expect(kolmogorovSf(10, 1.5)).toBe(0);
  });

  it('falls as d grows', () => {
    for (const n of [7, 140, 141, 3000]) {
      let last = 1;
      for (let d = 0.001; d < 1; d += 0.003) {
        const p = kolmogorovSf(n, d);
        expect(p).toBeLessThanOrEqual(last + 1e-12);
        last = p;
      }
    }
  });

  it('refuses a sample size that is not a positive integer', () => {
    expect(kolmogorovSf(0, 0.1)).toBeNaN();
    expect(kolmogorovSf(2.5, 0.1)).toBeNaN();
  });
});

describe('smirnovSf', () => {
  it(`matches scipy.special.smirnov on ${ref.smirnov.length} (n, d) points`, () => {
    const misses = ref.smirnov.filter(([n, d, p]) => !agrees(smirnovSf(n, d), p));
    expect(misses.map(([n, d, p]) => ({ n, d, p, got: smirnovSf(n, d) }))).toEqual([]);
  });

  it('keeps relative precision deep in the tail, where p-values decide drift', () => {
    const tail = ref.smirnov.filter(([, , p]) => p > 0 && p < 1e-10);
    expect(tail.length).toBeGreaterThan(5);
    for (const [n, d, p] of tail) expect(Math.abs(smirnovSf(n, d) - p) / p).toBeLessThan(1e-9);
  });
});
