import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCsv } from '../sketch/csv.js';
import { ks2samp, ks2sampSorted, ksStatisticSorted, roundHalfEven } from './ks-test.js';

type Sample = number[] | { file: string; column: string; start: number; end: number; shift: number };
interface Case {
  name: string;
  n1: number;
  n2: number;
  a: Sample;
  b: Sample;
  statistic: number;
  pvalue: number;
  method: 'exact' | 'asymp';
}

const ref = JSON.parse(readFileSync(new URL('../../../test/reference/ks_2samp.json', import.meta.url), 'utf8')) as { cases: Case[] };

const fixtures = new Map<string, Map<string, Float64Array>>();
function fixtureColumn(file: string, column: string): Float64Array {
  if (!fixtures.has(file)) {
    const { header, rows } = parseCsv(readFileSync(new URL(`../../../test/fixtures/loan_default_xgb.${file}.csv`, import.meta.url)));
    fixtures.set(file, new Map(header.map((h, c) => [h, Float64Array.from(rows, (r) => Number(r[c]))])));
  }
  return fixtures.get(file)!.get(column)!;
}

function sample(s: Sample): Float64Array {
  if (Array.isArray(s)) return Float64Array.from(s);
  return fixtureColumn(s.file, s.column)
    .slice(s.start, s.end)
    .map((v) => (s.shift ? v + s.shift : v));
}

describe('ks2samp', () => {
  it.each(ref.cases)('matches scipy.stats.ks_2samp on $name', (c) => {
    const r = ks2samp(sample(c.a), sample(c.b));
    expect(r.method).toBe(c.method);
    expect(r.statistic).toBeCloseTo(c.statistic, 14);
    // 1e-6 relative, down to the smallest p-values (1e-40 and below).
    expect(Math.abs(r.pvalue - c.pvalue)).toBeLessThanOrEqual(Math.max(1e-6 * c.pvalue, 1e-300));
  });

  it('covers scipy exact, equal-size exact and asymptotic paths in its reference cases', () => {
    const kinds = new Set(ref.cases.map((c) => `${c.method}${c.method === 'exact' && c.n1 === c.n2 ? '-square' : ''}`));
    expect([...kinds].sort()).toEqual(['asymp', 'exact', 'exact-square']);
  });

  it('gives the same answer with the samples swapped', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: -20, max: 20 }), { minLength: 1, maxLength: 60 }),
        (a, b) => {
          const x = ks2samp(a, b);
          const y = ks2samp(b, a);
          expect(y.statistic).toBe(x.statistic);
          expect(y.pvalue).toBeCloseTo(x.pvalue, 12);
        },
      ),
    );
  });

  it('leaves out missing values', () => {
    expect(ks2samp([1, NaN, 2, 3], [2, 3, NaN, 4])).toEqual(ks2samp([1, 2, 3], [2, 3, 4]));
  });

  it('refuses an empty sample', () => {
    expect(() => ks2samp([], [1])).toThrow(RangeError);
    expect(() => ks2samp([NaN], [1])).toThrow(RangeError);
  });

  it('reads a presorted baseline sample without sorting it again', () => {
    const a = [0.1, 0.4, 0.4, 0.9];
    const b = [0.2, 0.3, 1.5];
    expect(ks2sampSorted(a, b)).toEqual(ks2samp([0.9, 0.4, 0.1, 0.4], [1.5, 0.2, 0.3]));
  });
});

describe('ksStatisticSorted', () => {
  it('is the largest gap between the two empirical CDFs, ties stepping together', () => {
    expect(ksStatisticSorted([1, 2, 3], [1, 2, 3])).toBe(0);
    expect(ksStatisticSorted([1, 2], [3, 4])).toBe(1);
    // At x = 2: F_a = 3/4, F_b = 1/4.
    expect(ksStatisticSorted([1, 2, 2, 5], [2, 3, 4, 5])).toBe(0.5);
  });
});

describe('roundHalfEven', () => {
  it('rounds halves to the even neighbour, as numpy does', () => {
    expect([0.5, 1.5, 2.5, 3.5, 2.4, 2.6].map(roundHalfEven)).toEqual([0, 2, 2, 4, 2, 3]);
  });
});
