import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alignCategories, chiSquareAgainstBaseline, chiSquareTest, UNSEEN_CATEGORY } from './chi-square.js';
import { jensenShannonDistance } from './jensen-shannon.js';

interface AgainstBaseline {
  name: string;
  baseline: Record<string, number>;
  live: Record<string, number>;
  categories: string[];
  observed: number[];
  expected: number[];
  statistic: number;
  pvalue: number;
  js_distance: number;
}
const ref = JSON.parse(readFileSync(new URL('../../../test/reference/categorical.json', import.meta.url), 'utf8')) as {
  against_baseline: AgainstBaseline[];
  chisquare: { observed: number[]; expected: number[]; statistic: number; pvalue: number }[];
};

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(b), 1e-300);

describe('chiSquareTest', () => {
  it('matches scipy.stats.chisquare with given expected frequencies', () => {
    for (const c of ref.chisquare) {
      const r = chiSquareTest(c.observed, c.expected);
      expect(close(r.statistic, c.statistic)).toBe(true);
      expect(close(r.pvalue, c.pvalue)).toBe(true);
      expect(r.dof).toBe(c.observed.length - 1);
    }
  });
});

describe('chiSquareAgainstBaseline', () => {
  it.each(ref.against_baseline)('matches scipy on "$name"', (c) => {
    const r = chiSquareAgainstBaseline(c.baseline, c.live);
    // Python keeps insertion order, JavaScript lists integer-like keys first: compare by category.
    const byCategory = (cats: string[], v: number[]) => Object.fromEntries(cats.map((k, i) => [k, v[i]]));
    expect(byCategory(r.categories, r.observed)).toEqual(byCategory(c.categories, c.observed));
    const expected = byCategory(c.categories, c.expected);
    r.categories.forEach((k, i) => expect(close(r.expected[i], expected[k])).toBe(true));
    expect(close(r.statistic, c.statistic)).toBe(true);
    expect(close(r.pvalue, c.pvalue)).toBe(true);
    const aligned = alignCategories(c.baseline, c.live);
    expect(jensenShannonDistance(aligned.baseline, aligned.live)).toBeCloseTo(c.js_distance, 12);
  });

  it('pools live categories the baseline never saw into one unseen bucket', () => {
    const a = alignCategories({ '0': 10, '1': 5 }, { '0': 3, '7': 2, '9': 1 });
    expect(a).toEqual({ categories: ['0', '1', UNSEEN_CATEGORY], baseline: [10, 5, 0], live: [3, 0, 3] });
  });

  it('adds no unseen bucket when every live category is known', () => {
    expect(alignCategories({ a: 1, b: 1 }, { a: 4 }).categories).toEqual(['a', 'b']);
  });

  it('keeps a single unseen value finite and significant, for the effect size to judge', () => {
    const r = chiSquareAgainstBaseline({ '0': 6000, '1': 3000 }, { '0': 666, '1': 333, '5': 1 });
    expect(Number.isFinite(r.statistic)).toBe(true);
    expect(r.pvalue).toBeLessThan(0.001);
    const a = alignCategories({ '0': 6000, '1': 3000 }, { '0': 666, '1': 333, '5': 1 });
    expect(jensenShannonDistance(a.baseline, a.live)).toBeLessThan(0.1);
  });

  it('reads category names such as "constructor" as data, not as object properties', () => {
    const r = chiSquareAgainstBaseline({ constructor: 5, toString: 5 }, { constructor: 4, hasOwnProperty: 1 });
    expect(r.categories).toEqual(['constructor', 'toString', UNSEEN_CATEGORY]);
    expect(r.observed).toEqual([4, 0, 1]);
  });

  it('has no answer for an empty live window', () => {
    expect(chiSquareAgainstBaseline({ a: 1, b: 2 }, {}).pvalue).toBeNaN();
  });
});
