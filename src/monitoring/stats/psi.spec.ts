import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { psi, PSI_MIN_PROPORTION, psiOnBaselineBins } from './psi.js';

const ref = JSON.parse(readFileSync(new URL('../../../test/reference/psi.json', import.meta.url), 'utf8')) as {
  min_proportion: number;
  cases: { expected: number[]; actual: number[]; psi: number }[];
  on_baseline_bins: { shift: number; baseline_counts: number[]; underflow: number; counts: number[]; overflow: number; psi: number }[];
};

describe('psi', () => {
  it('uses the same proportion floor as the reference', () => {
    expect(PSI_MIN_PROPORTION).toBe(ref.min_proportion);
  });

  it('matches the numpy formula, empty bins included', () => {
    for (const c of ref.cases) expect(psi(c.expected, c.actual)).toBeCloseTo(c.psi, 12);
  });

  it('is 0 for identical proportions and grows with the shift', () => {
    expect(psi([10, 20, 30], [1, 2, 3])).toBe(0);
    expect(psi([50, 50], [60, 40])).toBeLessThan(psi([50, 50], [80, 20]));
  });

  it('stays finite when a bin is empty on one side', () => {
    expect(Number.isFinite(psi([0, 10], [5, 5]))).toBe(true);
  });

  it('has no answer when either side is empty', () => {
    expect(psi([0, 0], [1, 1])).toBeNaN();
    expect(psi([1, 1], [0, 0])).toBeNaN();
  });
});

describe('psiOnBaselineBins', () => {
  it('matches the reference for live samples shifted by 0 to 4 standard deviations', () => {
    for (const c of ref.on_baseline_bins) {
      expect(psiOnBaselineBins(c.baseline_counts, c)).toBeCloseTo(c.psi, 12);
    }
  });

  it('counts live values beyond the training range as drift', () => {
    const inRange = psiOnBaselineBins([50, 50], { underflow: 0, counts: [50, 50], overflow: 0 });
    const beyond = psiOnBaselineBins([50, 50], { underflow: 0, counts: [40, 40], overflow: 20 });
    expect(inRange).toBe(0);
    expect(beyond).toBeGreaterThan(0.2);
  });

  it('caps what one stray row can add to a 500-row window far below the 0.2 threshold', () => {
    const counts = Array.from({ length: 10 }, () => 50);
    const stray = psiOnBaselineBins(counts, { underflow: 0, counts: counts.map((c, i) => (i === 0 ? c - 1 : c)), overflow: 1 });
    expect(stray).toBeLessThan(0.01);
  });

  it('refuses a live histogram on other bins', () => {
    expect(() => psiOnBaselineBins([1, 2, 3], { underflow: 0, counts: [1, 2], overflow: 0 })).toThrow(RangeError);
  });
});
