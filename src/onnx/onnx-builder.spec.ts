import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  failingClassifier,
  linearRegressor,
  logisticBinaryClassifier,
  slowClassifier,
  softmaxClassifier,
  writeModel,
  zipMapClassifier,
} from '../../test/support/onnx-builder.js';

const quiet = { logSeverityLevel: 4 as const };
const rows = (values: number[][]) => new ort.Tensor('float32', Float32Array.from(values.flat()), [values.length, values[0].length]);

describe('the test model builder', () => {
  it('builds a linear regressor that computes features · weights + bias', async () => {
    const s = await ort.InferenceSession.create(linearRegressor({ weights: [2, -1], bias: 0.5 }));
    const out = await s.run({ input: rows([[1, 1], [3, 0]]) });
    expect(out.variable.dims).toEqual([2, 1]);
    expect([...(out.variable.data as Float32Array)]).toEqual([1.5, 6.5]);
  });

  it('builds a logistic classifier shaped like the XGBoost fixture', async () => {
    const s = await ort.InferenceSession.create(logisticBinaryClassifier({ weights: [1, 0], bias: 0 }));
    expect(s.outputNames).toEqual(['label', 'probabilities']);
    const out = await s.run({ input: rows([[2, 0], [-2, 0]]) });
    const p1 = 1 / (1 + Math.exp(-2));
    expect(out.label.type).toBe('int64');
    expect([...(out.label.data as BigInt64Array)]).toEqual([1n, 0n]);
    expect(out.probabilities.dims).toEqual([2, 2]);
    const p = out.probabilities.data as Float32Array;
    expect(p[1]).toBeCloseTo(p1, 6);
    expect(p[0]).toBeCloseTo(1 - p1, 6);
    expect(p[3]).toBeCloseTo(1 - p1, 6);
  });

  it('builds a softmax classifier whose label is the most probable class', async () => {
    const s = await ort.InferenceSession.create(softmaxClassifier({ weights: [[1, 0, 0], [0, 0, 3]], bias: [0, 0.5, 0] }));
    const out = await s.run({ input: rows([[0, 0], [0, 1], [5, 0]]) });
    expect([...(out.label.data as BigInt64Array)]).toEqual([1n, 2n, 0n]);
    expect(out.probabilities.dims).toEqual([3, 3]);
  });

  it('builds models with one [N, 1] input per feature and integer or double inputs', async () => {
    const s = await ort.InferenceSession.create(
      linearRegressor({ weights: [1, 10], bias: 0, layout: 'columns', featureNames: ['a', 'b'], inputType: 'int64' }),
    );
    expect(s.inputNames).toEqual(['a', 'b']);
    const out = await s.run({ a: new ort.Tensor('int64', BigInt64Array.from([1n, 2n]), [2, 1]), b: new ort.Tensor('int64', BigInt64Array.from([3n, 4n]), [2, 1]) });
    expect([...(out.variable.data as Float32Array)]).toEqual([31, 42]);
    const d = await ort.InferenceSession.create(linearRegressor({ weights: [1], bias: 1, inputType: 'float64' }));
    const out2 = await d.run({ input: new ort.Tensor('float64', Float64Array.from([2]), [1, 1]) });
    expect([...(out2.variable.data as Float32Array)]).toEqual([3]);
  });

  it('builds a classifier that runs on zeros but fails in onnxruntime when feature 0 reaches 1000', async () => {
    const s = await ort.InferenceSession.create(failingClassifier(), quiet);
    await expect(s.run({ input: rows([[0, 0, 0], [999, 0, 0]]) })).resolves.toHaveProperty('probabilities');
    await expect(s.run({ input: rows([[0, 0, 0], [1000, 0, 0]]) })).rejects.toThrow(/Gather/);
  });

  it('builds a classifier whose run time grows with feature 0', async () => {
    const s = await ort.InferenceSession.create(slowClassifier());
    await s.run({ input: rows([[0, 0, 0]]) }); // the first run pays for lazy initialisation
    let t0 = performance.now();
    await s.run({ input: rows([[0, 0, 0]]) });
    const fast = performance.now() - t0;
    t0 = performance.now();
    await s.run({ input: rows([[1e6, 0, 0]]) });
    const slow = performance.now() - t0;
    expect(fast).toBeLessThan(50);
    expect(slow).toBeGreaterThan(200);
  });

  it('builds a ZipMap classifier whose probability output is not a tensor', async () => {
    const s = await ort.InferenceSession.create(zipMapClassifier());
    expect(s.outputMetadata.map((m) => [m.name, m.isTensor])).toEqual([
      ['output_label', true],
      ['output_probability', false],
    ]);
  });

  it('writes a model to a file onnxruntime loads', async () => {
    const file = writeModel(linearRegressor({ weights: [1], bias: 0 }));
    expect(file).toMatch(/\.onnx$/);
    const s = await ort.InferenceSession.create(file);
    expect(s.inputNames).toEqual(['input']);
  });
});
