import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ValidationFailed } from '../../common/errors.js';
import { parseBaselineUpload } from './baseline-input.js';
import { buildBaselineSketch, type BaselineSketch } from './baseline-sketch.js';
import { baselineSketchSchema } from './baseline-sketch.schema.js';
import type { CategoricalSketch } from './categorical-sketch.js';
import type { NumericSketch } from './numeric-sketch.js';

const expected = JSON.parse(readFileSync(new URL('../../../test/fixtures/loan_default_xgb.expected.json', import.meta.url), 'utf8'));
const spec = { featureNames: expected.feature_names as string[], categorical: expected.categorical_features as string[], labelColumn: 'label' };

function loanTest() {
  const parsed = parseBaselineUpload(readFileSync(new URL('../../../test/fixtures/loan_default_xgb.test.csv', import.meta.url)), spec);
  if (parsed.kind !== 'rows') throw new Error('expected rows');
  return parsed;
}

describe('buildBaselineSketch', () => {
  const rows = loanTest();
  const input = {
    ...spec,
    columns: rows.columns,
    rowCount: rows.rowCount,
    prediction: { type: 'numeric' as const, values: Float64Array.from(expected.p1 as number[]) },
    labels: rows.labels,
  };

  it('sketches numeric features with bins and categorical features with frequencies', () => {
    const s = buildBaselineSketch(input);
    expect(s.row_count).toBe(6000);
    expect(Object.keys(s.features)).toEqual(spec.featureNames);
    const income = s.features.income as NumericSketch;
    expect(income.type).toBe('numeric');
    expect(income.counts).toHaveLength(10);
    expect(income.counts.reduce((a, b) => a + b, 0)).toBe(6000);
    expect(income.sample).toHaveLength(5000);
    const region = s.features.region as CategoricalSketch;
    expect(region.type).toBe('categorical');
    expect(Object.keys(region.frequencies)).toEqual(['0', '1', '2', '3', '4']);
  });

  it('sketches the binary score as numeric and the 0/1 label as categorical', () => {
    const s = buildBaselineSketch(input);
    expect(s.prediction.type).toBe('numeric');
    expect(s.label?.type).toBe('categorical');
    expect(Object.keys((s.label as CategoricalSketch).frequencies)).toEqual(['0', '1']);
  });

  it('is byte-identical when built twice from the same rows', () => {
    expect(JSON.stringify(buildBaselineSketch(input))).toBe(JSON.stringify(buildBaselineSketch(input)));
  });

  it('draws an independent sample per feature and a different one for another seed', () => {
    const a = buildBaselineSketch({ ...input, columns: [rows.columns[0], rows.columns[0], ...rows.columns.slice(2)] });
    const fa = a.features[spec.featureNames[0]] as NumericSketch;
    const fb = a.features[spec.featureNames[1]] as NumericSketch;
    expect(fa.sample).not.toEqual(fb.sample);
    const other = buildBaselineSketch({ ...input, seed: 99 });
    expect((other.features.income as NumericSketch).sample).not.toEqual((buildBaselineSketch(input).features.income as NumericSketch).sample);
  });

  it('honours the bins and sample size options', () => {
    const s = buildBaselineSketch({ ...input, bins: 4, sampleSize: 100 });
    expect((s.features.age as NumericSketch).counts).toHaveLength(4);
    expect((s.features.age as NumericSketch).sample).toHaveLength(100);
  });

  it('sketches a multiclass prediction as predicted-class frequencies, and its labels as categories', () => {
    const s = buildBaselineSketch({
      featureNames: ['x'],
      categorical: [],
      columns: [Float64Array.from([1, 2, 3, 4])],
      rowCount: 4,
      prediction: { type: 'categorical', values: Float64Array.from([0, 2, 2, 1]) },
      labels: Float64Array.from([0, 2, 1, 1]),
    });
    expect(s.prediction).toEqual({ type: 'categorical', count: 4, missing: 0, frequencies: { '0': 1, '1': 1, '2': 2 } });
    expect(s.label?.type).toBe('categorical');
  });

  it('sketches regression labels as numeric, unless told otherwise', () => {
    const base = { featureNames: ['x'], categorical: [], columns: [Float64Array.from([1, 2, 3])], rowCount: 3 };
    const prediction = { type: 'numeric' as const, values: [1.5, 2.5, 3.5] };
    expect(buildBaselineSketch({ ...base, prediction, labels: [1.2, 2.2, 3.9] }).label?.type).toBe('numeric');
    expect(buildBaselineSketch({ ...base, prediction, labels: [1, 0, 1], labelType: 'numeric' }).label?.type).toBe('numeric');
  });

  it('refuses a feature with no values at all, naming it', () => {
    let err: unknown;
    try {
      buildBaselineSketch({ ...input, columns: [new Float64Array(6000).fill(NaN), ...rows.columns.slice(1)] });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationFailed);
    expect((err as ValidationFailed).details).toEqual({ field: 'baseline', column: 'income' });
  });

  it('builds sketches the upload schema accepts unchanged', () => {
    const s: BaselineSketch = buildBaselineSketch(input);
    expect(baselineSketchSchema.parse(JSON.parse(JSON.stringify(s)))).toEqual(s);
  });

  it('refuses columns that do not match the rows', () => {
    expect(() => buildBaselineSketch({ ...input, rowCount: 10 })).toThrow(RangeError);
    expect(() => buildBaselineSketch({ ...input, columns: rows.columns.slice(1) })).toThrow(RangeError);
  });
});
