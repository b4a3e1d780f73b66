import { describe, expect, it } from 'vitest';
import type { BaselineSketch } from './baseline-sketch.js';
import { baselineSketchSchema, categoricalSketchSchema, MAX_SAMPLE_SIZE, numericSketchSchema } from './baseline-sketch.schema.js';
import { buildNumericSketch, type NumericSketch } from './numeric-sketch.js';

const numeric: NumericSketch = buildNumericSketch(
  Array.from({ length: 40 }, (_, i) => (i * 7) % 23),
  { bins: 4 },
);
const categorical = { type: 'categorical' as const, count: 6, missing: 0, frequencies: { '0': 4, '1': 2 } };
const sketch: BaselineSketch = { row_count: 40, features: { x: numeric }, prediction: numeric };

/** The first problem's path and message, as a user would see them. */
function firstIssue(schema: { safeParse(v: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown) {
  const r = schema.safeParse(value);
  expect(r.success).toBe(false);
  const issue = r.error!.issues[0];
  return { path: issue.path.join('.'), message: issue.message };
}

describe('numericSketchSchema', () => {
  it('accepts a built sketch', () => {
    expect(numericSketchSchema.parse(numeric)).toEqual(numeric);
  });

  it.each([
    ['edges that go down', { edges: [0, 5, 3, 22] }, 'edges.2', 'strictly increasing'],
    ['a repeated edge', { edges: [0, 5, 5, 22] }, 'edges.2', 'strictly increasing'],
    ['counts that do not match the edges', { counts: [10, 10, 20] }, 'counts', '3 counts'],
    ['counts that do not sum to count', { counts: [10, 10, 10, 11] }, 'counts', 'sum to 41'],
    ['a negative count', { counts: [-1, 11, 10, 20] }, 'counts.0', ''],
    ['a fractional count', { count: 40.5 }, 'count', ''],
    ['an infinite mean', { mean: Infinity }, 'mean', ''],
    ['a negative standard deviation', { std: -1 }, 'std', 'never negative'],
    ['min above max', { min: 30, max: 20 }, 'max', 'below min'],
    ['edges that miss the range', { edges: numeric.edges.map((e, i) => (i === 0 ? e + 0.5 : e)) }, 'edges', 'do not cover'],
    ['a quantile out of order', { quantiles: { ...numeric.quantiles, '0.5': 21.9 } }, 'quantiles.0.75', 'must lie between'],
    ['a missing quantile level', { quantiles: { ...numeric.quantiles, '0.99': undefined } }, 'quantiles.0.99', ''],
    ['a mean outside the range', { mean: 100 }, 'mean', 'outside'],
    ['a sample longer than the count', { sample: Array.from({ length: 41 }, () => 1) }, 'sample', '41 sampled values'],
    ['a sampled value outside the range', { sample: [0, 1, 99] }, 'sample.2', 'outside'],
    ['an unknown field', { bins: 4 }, '', 'bins'],
  ])('refuses %s, naming the path', (_what, patch, path, words) => {
    const issue = firstIssue(numericSketchSchema, { ...numeric, ...patch });
    expect(issue.path).toBe(path);
    expect(issue.message).toContain(words);
  });

  it('bounds the sample length', () => {
    const huge = { ...numeric, count: MAX_SAMPLE_SIZE + 1, sample: new Array(MAX_SAMPLE_SIZE + 1).fill(1) };
    expect(firstIssue(numericSketchSchema, huge).path).toBe('sample');
  });

  it('sorts an uploaded sample', () => {
    const parsed = numericSketchSchema.parse({ ...numeric, sample: [5, 1, 3] });
    expect(parsed.sample).toEqual([1, 3, 5]);
  });
});

describe('categoricalSketchSchema', () => {
  it('accepts a consistent table', () => {
    expect(categoricalSketchSchema.parse(categorical)).toEqual(categorical);
  });

  it('merges spellings of one category code', () => {
    const parsed = categoricalSketchSchema.parse({ ...categorical, frequencies: { '2': 1, '2.0': 2, ' 3 ': 3 } });
    expect(parsed.frequencies).toEqual({ '2': 3, '3': 3 });
  });

  it('refuses frequencies that do not sum to count', () => {
    expect(firstIssue(categoricalSketchSchema, { ...categorical, count: 7 })).toEqual({
      path: 'frequencies',
      message: 'frequencies sum to 6, but count is 7',
    });
  });

  it('refuses a category that spells a missing value', () => {
    const issue = firstIssue(categoricalSketchSchema, { ...categorical, count: 7, frequencies: { ...categorical.frequencies, NaN: 1 } });
    expect(issue.path).toBe('frequencies.NaN');
    expect(issue.message).toContain('missing');
  });

  it('refuses a negative frequency', () => {
    expect(firstIssue(categoricalSketchSchema, { ...categorical, frequencies: { '0': 8, '1': -2 } }).path).toBe('frequencies.1');
  });
});

describe('baselineSketchSchema', () => {
  it('accepts a sketch and fills row_count when it is left out', () => {
    expect(baselineSketchSchema.parse(sketch)).toEqual(sketch);
    const { row_count: _drop, ...rest } = sketch;
    expect(baselineSketchSchema.parse(rest).row_count).toBe(40);
  });

  it('keeps an optional label sketch', () => {
    const withLabel = { ...sketch, row_count: 6, features: { c: categorical }, prediction: categorical, label: categorical };
    expect(baselineSketchSchema.parse(withLabel).label).toEqual(categorical);
  });

  it('refuses a feature sketch that describes a different number of rows', () => {
    const issue = firstIssue(baselineSketchSchema, { ...sketch, features: { x: numeric, c: categorical } });
    expect(issue.path).toBe('features.c');
    expect(issue.message).toContain('40 rows');
  });

  it('names the nested path of a broken feature sketch', () => {
    const issue = firstIssue(baselineSketchSchema, { ...sketch, features: { x: { ...numeric, counts: [1, 2] } } });
    expect(issue.path).toBe('features.x.counts');
  });

  it('refuses an unknown sketch type and a missing prediction', () => {
    expect(firstIssue(baselineSketchSchema, { ...sketch, features: { x: { type: 'histogram' } } }).path).toBe('features.x.type');
    const { prediction: _p, ...noPrediction } = sketch;
    expect(firstIssue(baselineSketchSchema, noPrediction).path).toBe('prediction');
  });
});
