import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ValidationFailed } from '../common/errors.js';
import { linearRegressor, writeModel } from '../../test/support/onnx-builder.js';
import { fixturePath, readExpected, readFixtureCsv } from '../../test/support/onnx-fixtures.js';
import type { ModelSignature, TensorSpec } from './model-signature.js';
import { OnnxSession } from './onnx-session.js';
import { decodeRows, interpretOutputs, scoresOf } from './output-decoder.js';
import { inFeatureOrder, tabularFeeds, tabularLayout, tabularWidth } from './tabular.js';

const spec = (name: string, shape: number[], datatype: TensorSpec['datatype'] = 'FP32'): TensorSpec => ({ name, datatype, shape });
const sig = (...inputs: TensorSpec[]): ModelSignature => ({ inputs, outputs: [] });

describe('tabularLayout', () => {
  it('sees one [N, F] input as a matrix of F features', () => {
    const layout = tabularLayout(sig(spec('input', [-1, 30])));
    expect(layout).toEqual({ kind: 'matrix', input: spec('input', [-1, 30]), width: 30 });
    expect(tabularWidth(layout!)).toBe(30);
  });

  it('sees [N, 1] inputs as one column per feature, in input order', () => {
    const layout = tabularLayout(sig(spec('age', [-1, 1], 'INT64'), spec('income', [-1, 1], 'FP64')));
    expect(layout?.kind).toBe('columns');
    expect(tabularWidth(layout!)).toBe(2);
  });

  it('reorders column inputs to the order features are written in', () => {
    const layout = tabularLayout(sig(spec('age', [-1, 1]), spec('income', [-1, 1])))!;
    const ordered = inFeatureOrder(layout, ['income', 'age']);
    expect(ordered.kind === 'columns' && ordered.inputs.map((i) => i.name)).toEqual(['income', 'age']);
    expect(Object.keys(tabularFeeds(ordered, Float32Array.from([1000, 41]), 1))).toEqual(['income', 'age']);
    expect(tabularFeeds(ordered, Float32Array.from([1000, 41]), 1).age.data[0]).toBe(41);
    expect(() => inFeatureOrder(layout, ['income', 'height'])).toThrow(/"height" is not one of the model's inputs/);
  });

  it.each([
    ['no inputs', sig()],
    ['an image tensor', sig(spec('image', [-1, 3, 224, 224]))],
    ['an open feature count', sig(spec('input', [-1, -1]))],
    ['a fixed batch size', sig(spec('input', [1, 30]))],
    ['string features', sig(spec('text', [-1, 1], 'BYTES'))],
    ['a matrix beside another input', sig(spec('a', [-1, 3]), spec('b', [-1, 1]))],
    ['a rank-1 input', sig(spec('x', [-1]))],
  ])('finds no tabular layout for %s', (_label, signature) => {
    expect(tabularLayout(signature)).toBeUndefined();
  });
});

describe('tabularFeeds', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-tabular-'));
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function predict(model: Buffer, data: Float64Array | Float32Array, rows: number): Promise<number[]> {
    const session = await OnnxSession.load(writeModel(model, dir));
    try {
      const layout = tabularLayout(session.signature)!;
      const out = await session.run(tabularFeeds(layout, data, rows));
      return [...(out.variable.data as Float32Array)];
    } finally {
      await session.release();
    }
  }

  it('passes a float32 matrix to a float32 input without copying it', () => {
    const layout = tabularLayout(sig(spec('input', [-1, 2])))!;
    const data = Float32Array.from([1, 2, 3, 4]);
    expect(tabularFeeds(layout, data, 2).input.data).toBe(data);
  });

  it('uses only the first rows × width values of a larger buffer', async () => {
    const data = Float64Array.from([1, 2, 3, 4, 99, 99]);
    expect(await predict(linearRegressor({ weights: [1, 10], bias: 0 }), data, 2)).toEqual([21, 43]);
    const layout = tabularLayout(sig(spec('input', [-1, 2])))!;
    expect(tabularFeeds(layout, data, 2).input.dims).toEqual([2, 2]);
  });

  it.each(['float32', 'float64', 'int32', 'int64'] as const)('feeds a matrix input of %s', async (inputType) => {
    const model = linearRegressor({ weights: [1, 10, 100], bias: 0, inputType });
    expect(await predict(model, Float64Array.from([1, 2, 3, -4, 5, -6]), 2)).toEqual([321, -554]);
    expect(await predict(model, Float32Array.from([1, 2, 3, -4, 5, -6]), 2)).toEqual([321, -554]);
  });

  it.each(['float32', 'float64', 'int32', 'int64'] as const)('feeds one [N, 1] input of %s per feature', async (inputType) => {
    const model = linearRegressor({ weights: [1, 10, 100], bias: 0, inputType, layout: 'columns', featureNames: ['a', 'b', 'c'] });
    expect(await predict(model, Float64Array.from([1, 2, 3, -4, 5, -6]), 2)).toEqual([321, -554]);
  });

  it('writes large and negative int64 values exactly', () => {
    const layout = tabularLayout(sig(spec('input', [-1, 3], 'INT64')))!;
    const values = [2 ** 40 + 7, -(2 ** 33) - 1, Number.MAX_SAFE_INTEGER];
    const feed = tabularFeeds(layout, Float64Array.from(values), 1).input;
    expect([...(feed.data as BigInt64Array)]).toEqual(values.map(BigInt));
  });

  it('refuses a missing value for an integer input, naming the feature index', () => {
    const layout = tabularLayout(sig(spec('input', [-1, 3], 'INT64')))!;
    let err: unknown;
    try {
      tabularFeeds(layout, Float64Array.from([1, 2, 3, 4, NaN, 6]), 2);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ValidationFailed);
    expect((err as ValidationFailed).message).toMatch(/feature 1 of row 1 is missing.*"input" is int64/);
    expect((err as ValidationFailed).details).toMatchObject({ feature_index: 1, row: 1 });
  });

  it('refuses a fractional value for an integer column input, naming the feature index', () => {
    const layout = tabularLayout(sig(spec('a', [-1, 1], 'INT32'), spec('b', [-1, 1], 'INT32')))!;
    expect(() => tabularFeeds(layout, Float64Array.from([1, 2, 3, 4.5]), 2)).toThrow(/feature 1 of row 1 is 4.5.*"b" takes int32/);
    expect(() => tabularFeeds(layout, Float64Array.from([1, 2, 3e10, 4]), 2)).toThrow(/feature 0 of row 1/);
  });

  it('passes NaN through to float inputs as a missing value', () => {
    const layout = tabularLayout(sig(spec('input', [-1, 2], 'FP64')))!;
    const feed = tabularFeeds(layout, Float32Array.from([NaN, 1]), 1).input;
    expect(Number.isNaN((feed.data as Float64Array)[0])).toBe(true);
  });
});

describe('the breast cancer fixture through tabular feeds and decodeRows', () => {
  const csv = readFixtureCsv('breast_cancer_xgb.test.csv');
  const expected = readExpected('breast_cancer_xgb.expected.json').p1;
  let session: OnnxSession;
  beforeAll(async () => {
    session = await OnnxSession.load(fixturePath('breast_cancer_xgb.onnx'));
  });
  afterAll(() => session.release());

  it('scores every test row as the model itself did, to 1e-5', async () => {
    expect(csv.rows).toBe(expected.length);
    const layout = tabularLayout(session.signature)!;
    expect(tabularWidth(layout)).toBe(csv.width);
    const interp = interpretOutputs('binary_classification', session.signature);
    const results = await session.run(tabularFeeds(layout, csv.data, csv.rows));
    const rows = decodeRows(interp, results, 0, csv.rows);
    rows.forEach((row, i) => {
      expect(row.score).toBeCloseTo(expected[i], 5);
      expect(row.probabilities!['1']).toBeCloseTo(expected[i], 5);
      expect(row.probabilities!['0']).toBeCloseTo(1 - expected[i], 5);
      expect(row.label).toBe(expected[i] >= 0.5 ? 1 : 0);
    });
    const scores = scoresOf(interp, results, csv.rows);
    scores.forEach((s, i) => expect(Math.abs(s - expected[i])).toBeLessThan(1e-5));
  });

  it('decodes only the requested slice of a shared batch', async () => {
    const layout = tabularLayout(session.signature)!;
    const interp = interpretOutputs('binary_classification', session.signature);
    const results = await session.run(tabularFeeds(layout, csv.data, csv.rows));
    const slice = decodeRows(interp, results, 40, 3);
    expect(slice).toHaveLength(3);
    slice.forEach((row, i) => expect(row.score).toBeCloseTo(expected[40 + i], 5));
  });
});

describe('the loan default fixture', () => {
  it('scores its 6,000 test rows as the model itself did, to 1e-5', async () => {
    const csv = readFixtureCsv('loan_default_xgb.test.csv');
    const expected = readExpected('loan_default_xgb.expected.json').p1;
    const session = await OnnxSession.load(fixturePath('loan_default_xgb.onnx'));
    try {
      const interp = interpretOutputs('binary_classification', session.signature);
      const results = await session.run(tabularFeeds(tabularLayout(session.signature)!, csv.data, csv.rows));
      const scores = scoresOf(interp, results, csv.rows);
      let worst = 0;
      scores.forEach((s, i) => (worst = Math.max(worst, Math.abs(s - expected[i]))));
      expect(worst).toBeLessThan(1e-5);
    } finally {
      await session.release();
    }
  });
});
