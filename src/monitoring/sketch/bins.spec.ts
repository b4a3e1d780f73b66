import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { binCounts, binIndex, nextUp, overflowBin, quantileEdges, UNDERFLOW } from './bins.js';
import { sortedFinite } from './quantile.js';

interface Case {
  name: string;
  bins: number;
  values?: (number | null)[];
  edges: number[];
  counts: number[];
}
interface LiveCase {
  name: string;
  edges: number[];
  values: (number | null)[];
  underflow: number;
  counts: number[];
  overflow: number;
}
const ref = JSON.parse(readFileSync(new URL('../../../test/reference/sketch.json', import.meta.url), 'utf8')) as {
  cases: Case[];
  live_bins: LiveCase[];
};
const inline = ref.cases.filter((c) => c.values);
const toNumbers = (v: (number | null)[]) => v.map((x) => x ?? NaN);

describe('binIndex', () => {
  const edges = [0, 1, 2, 3];

  it('puts a value in the bin whose left edge it reaches', () => {
    expect([0, 0.5, 1, 1.999, 2].map((v) => binIndex(edges, v))).toEqual([0, 0, 1, 1, 2]);
  });

  it('closes the last bin on its right edge', () => {
    expect(binIndex(edges, 3)).toBe(2);
  });

  it('sends values below the first edge to underflow (-1) and above the last to overflow (the bin count)', () => {
    expect(binIndex(edges, -0.1)).toBe(UNDERFLOW);
    expect(binIndex(edges, 3.0001)).toBe(3);
    expect(overflowBin(edges)).toBe(3);
  });

  it('agrees with a linear scan of the definition for any strictly increasing edges', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 2, maxLength: 30 }),
        fc.double({ min: -2e6, max: 2e6, noNaN: true }),
        (raw, v) => {
          const e = [...raw].sort((a, b) => a - b).filter((x, i, a) => i === 0 || x > a[i - 1]);
          fc.pre(e.length >= 2);
          const last = e.length - 1;
          let expected: number;
          if (v < e[0]) expected = -1;
          else if (v > e[last]) expected = last;
          else if (v === e[last]) expected = last - 1;
          else expected = e.findIndex((x, i) => x <= v && v < e[i + 1]);
          expect(binIndex(e, v)).toBe(expected);
        },
      ),
    );
  });
});

describe('quantileEdges', () => {
  it.each(inline.filter((c) => c.name !== 'constant'))('equals np.unique(np.quantile(x, np.linspace(0, 1, bins + 1))) on $name', (c) => {
    expect(quantileEdges(sortedFinite(toNumbers(c.values!)), c.bins)).toEqual(c.edges);
  });

  it('gives a heavily tied feature fewer bins rather than empty duplicate ones', () => {
    const codes = inline.find((c) => c.name === 'three distinct values')!;
    const edges = quantileEdges(sortedFinite(toNumbers(codes.values!)), 10);
    expect(edges).toEqual([-1, 0, 1]);
  });

  it('gives a constant feature one bin that holds exactly its value', () => {
    const edges = quantileEdges([3.5, 3.5, 3.5], 10);
    expect(edges).toEqual([3.5, nextUp(3.5)]);
    expect(binIndex(edges, 3.5)).toBe(0);
    expect(binIndex(edges, 3.6)).toBe(1);
  });

  it('refuses a bin count that is not a positive integer', () => {
    expect(() => quantileEdges([1, 2], 0)).toThrow(RangeError);
  });
});

describe('binCounts', () => {
  it.each(inline)('equals np.histogram on the quantile edges for $name', (c) => {
    expect(binCounts(c.edges, toNumbers(c.values!)).counts).toEqual(c.counts);
  });

  it.each(ref.live_bins)('counts live values with underflow and overflow like the reference: $name', (c) => {
    expect(binCounts(c.edges, toNumbers(c.values))).toEqual({ underflow: c.underflow, counts: c.counts, overflow: c.overflow });
  });
});

describe('nextUp', () => {
  it('steps to the adjacent double above', () => {
    expect(nextUp(1)).toBe(1 + Number.EPSILON);
    expect(nextUp(0)).toBe(Number.MIN_VALUE);
    expect(nextUp(-1)).toBe(-1 + Number.EPSILON / 2);
    expect(nextUp(-Number.MIN_VALUE)).toBe(-0);
  });
});
