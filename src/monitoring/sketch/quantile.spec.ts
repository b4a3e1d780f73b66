import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evenLevels, quantileSorted, sortedFinite } from './quantile.js';

interface Case {
  name: string;
  values?: (number | null)[];
  quantiles: Record<string, number>;
}
const ref = JSON.parse(readFileSync(new URL('../../../test/reference/sketch.json', import.meta.url), 'utf8')) as { cases: Case[] };
const inline = ref.cases.filter((c) => c.values);

describe('quantileSorted', () => {
  it.each(inline)('equals np.quantile bit for bit on $name', (c) => {
    const sorted = sortedFinite(c.values!.map((v) => v ?? NaN));
    for (const [level, expected] of Object.entries(c.quantiles)) expect(quantileSorted(sorted, Number(level))).toBe(expected);
  });

  it('interpolates linearly between order statistics', () => {
    expect(quantileSorted([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantileSorted([0, 10], 0.25)).toBe(2.5);
    expect([0, 1].map((q) => quantileSorted([5, 7], q))).toEqual([5, 7]);
  });

  it('refuses an empty sample and a level outside [0, 1]', () => {
    expect(() => quantileSorted([], 0.5)).toThrow(RangeError);
    expect(() => quantileSorted([1], 1.5)).toThrow(RangeError);
  });
});

describe('evenLevels', () => {
  it('equals np.linspace(0, 1, n + 1), step products included', () => {
    expect(evenLevels(10)[3]).toBe(0.30000000000000004);
    expect(evenLevels(10)[10]).toBe(1);
    expect(evenLevels(4)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });
});

describe('sortedFinite', () => {
  it('drops missing values and sorts numerically', () => {
    expect(Array.from(sortedFinite([10, NaN, -2, 3]))).toEqual([-2, 3, 10]);
  });
});
