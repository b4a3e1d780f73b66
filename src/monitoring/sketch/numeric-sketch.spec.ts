import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCsv } from './csv.js';
import { buildNumericSketch, DEFAULT_BINS, DEFAULT_SAMPLE_SIZE, QUANTILE_KEYS } from './numeric-sketch.js';

interface Case {
  name: string;
  bins: number;
  values?: (number | null)[];
  fixture?: { file: string; column: string };
  count: number;
  missing: number;
  edges: number[];
  counts: number[];
  quantiles: Record<string, number>;
  mean: number;
  std: number;
  min: number;
  max: number;
}
const ref = JSON.parse(readFileSync(new URL('../../../test/reference/sketch.json', import.meta.url), 'utf8')) as { cases: Case[] };

function valuesOf(c: Case): Float64Array {
  if (c.values) return Float64Array.from(c.values, (v) => v ?? NaN);
  const { header, rows } = parseCsv(readFileSync(new URL(`../../../test/fixtures/loan_default_xgb.${c.fixture!.file}.csv`, import.meta.url)));
  const at = header.indexOf(c.fixture!.column);
  return Float64Array.from(rows, (r) => Number(r[at]));
}

const relClose = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.max(Math.abs(b), 1e-300);

describe('buildNumericSketch', () => {
  it.each(ref.cases.filter((c) => c.name !== 'constant'))('matches numpy on $name', (c) => {
    const s = buildNumericSketch(valuesOf(c), { bins: c.bins });
    expect(s.type).toBe('numeric');
    expect({ count: s.count, missing: s.missing, min: s.min, max: s.max }).toEqual({ count: c.count, missing: c.missing, min: c.min, max: c.max });
    expect(s.edges).toEqual(c.edges);
    expect(s.counts).toEqual(c.counts);
    expect(s.quantiles).toEqual(c.quantiles);
    expect(relClose(s.mean, c.mean, 1e-12) || Math.abs(s.mean - c.mean) < 1e-15).toBe(true);
    expect(relClose(s.std, c.std, 1e-9)).toBe(true);
  });

  it('reports the nine fixed quantile levels', () => {
    expect(Object.keys(buildNumericSketch([1, 2, 3]).quantiles)).toEqual([...QUANTILE_KEYS]);
  });

  it('uses 10 bins and a 5000-value sample by default', () => {
    expect(DEFAULT_BINS).toBe(10);
    expect(DEFAULT_SAMPLE_SIZE).toBe(5000);
    const many = Float64Array.from({ length: 12_000 }, (_, i) => Math.sin(i) * 100);
    const s = buildNumericSketch(many);
    expect(s.counts).toHaveLength(10);
    expect(s.sample).toHaveLength(5000);
  });

  it('keeps every value, sorted, as the sample when there are no more than the sample size', () => {
    const s = buildNumericSketch([3, NaN, 1, 2], { sampleSize: 10 });
    expect(s.sample).toEqual([1, 2, 3]);
  });

  it('samples without missing values, within the range, sorted', () => {
    const values = Float64Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? NaN : (i * 37) % 1000));
    const s = buildNumericSketch(values, { sampleSize: 500 });
    expect(s.sample).toHaveLength(500);
    expect(s.sample.every((v, i) => !Number.isNaN(v) && v >= s.min && v <= s.max && (i === 0 || v >= s.sample[i - 1]))).toBe(true);
  });

  it('is identical when built twice from the same values and seed, and samples differently with another seed', () => {
    const values = Float64Array.from({ length: 8000 }, (_, i) => Math.cos(i * 1.3));
    expect(JSON.stringify(buildNumericSketch(values, { seed: 5 }))).toBe(JSON.stringify(buildNumericSketch(values, { seed: 5 })));
    expect(buildNumericSketch(values, { seed: 5 }).sample).not.toEqual(buildNumericSketch(values, { seed: 6 }).sample);
  });

  it('gives a constant column one bin holding all its values', () => {
    const s = buildNumericSketch(new Float64Array(50).fill(3.5));
    expect(s.counts).toEqual([50]);
    expect(s.edges[0]).toBe(3.5);
    expect(s.std).toBe(0);
  });

  it('refuses a column with no values and a value that is not finite', () => {
    expect(() => buildNumericSketch([NaN, NaN])).toThrow(/every value is missing/);
    expect(() => buildNumericSketch([1, Infinity])).toThrow(/not finite/);
  });
});
