import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import type { ModelSignature, ModelTask, ScoreOutput, TensorSpec } from './model-signature.js';
import { InvalidOnnxModel } from './onnx.errors.js';
import { decodeRows, interpretOutputs, scoreAt, scoresOf } from './output-decoder.js';

const out = (name: string, datatype: TensorSpec['datatype'], shape: number[]): TensorSpec => ({ name, datatype, shape });
const sig = (...outputs: TensorSpec[]): ModelSignature => ({ inputs: [out('input', 'FP32', [-1, 3])], outputs });
const XGB = sig(out('label', 'INT64', [-1]), out('probabilities', 'FP32', [-1, 2]));

const f32 = (dims: number[], values: number[]) => new ort.Tensor('float32', Float32Array.from(values), dims);
const i64 = (values: number[]) => new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [values.length]);

function refusal(task: ModelTask, signature: ModelSignature, score?: ScoreOutput): InvalidOnnxModel {
  try {
    interpretOutputs(task, signature, score);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOnnxModel);
    expect((err as InvalidOnnxModel).code).toBe('INVALID_MODEL');
    return err as InvalidOnnxModel;
  }
  throw new Error('expected a refusal');
}

describe('interpretOutputs', () => {
  it('reads a binary classifier like the XGBoost fixture: label, probabilities, score = class 1 column', () => {
    expect(interpretOutputs('binary_classification', XGB)).toEqual({
      task: 'binary_classification',
      label: 'label',
      probabilities: { output: 'probabilities', classes: 2 },
      score: { output: 'probabilities', column: 1 },
      extras: [],
    });
  });

  it('returns every output of a tensor model by name, with no score or label, and refuses a score_output for it', () => {
    const interp = interpretOutputs('tensor', XGB);
    expect(interp).toEqual({ task: 'tensor', extras: ['label', 'probabilities'] });
    const rows = decodeRows(interp, { label: i64([1, 0]), probabilities: f32([2, 2], [0.2, 0.8, 0.9, 0.1]) }, 1, 1);
    expect(rows[0].score).toBeUndefined();
    expect(rows[0].label).toBeUndefined();
    expect(Object.keys(rows[0].outputs!)).toEqual(['label', 'probabilities']);
    expect(Number.isNaN(scoreAt(interp, {}, 0))).toBe(true);
    expect(refusal('tensor', XGB, { output: 'probabilities' }).message).toMatch(/does not apply to a tensor model/);
  });

  it('takes a single float output of a binary classifier as the score', () => {
    expect(interpretOutputs('binary_classification', sig(out('prob', 'FP32', [-1, 1]))).score).toEqual({ output: 'prob', column: 0 });
    expect(interpretOutputs('binary_classification', sig(out('prob', 'FP64', [-1]))).score).toEqual({ output: 'prob', column: 0 });
  });

  it('follows score_output to another output or column', () => {
    const s = sig(out('label', 'INT64', [-1]), out('probabilities', 'FP32', [-1, 2]), out('margin', 'FP32', [-1, 1]));
    expect(interpretOutputs('binary_classification', s, { output: 'margin' }).score).toEqual({ output: 'margin', column: 0 });
    expect(interpretOutputs('binary_classification', s, { output: 'probabilities', column: 0 }).score).toEqual({ output: 'probabilities', column: 0 });
    expect(interpretOutputs('binary_classification', s, { output: 'margin' }).extras).toEqual([]);
  });

  it('reads a multiclass classifier: label and probabilities, no score', () => {
    const i = interpretOutputs('multiclass_classification', sig(out('label', 'BYTES', [-1, 1]), out('probabilities', 'FP32', [-1, 4])));
    expect(i).toMatchObject({ label: 'label', probabilities: { output: 'probabilities', classes: 4 } });
    expect(i.score).toBeUndefined();
  });

  it('reads a regressor: the first float [N] or [N, 1] output is the value, the rest go under outputs', () => {
    const i = interpretOutputs('regression', sig(out('ids', 'INT64', [-1]), out('variable', 'FP32', [-1, 1]), out('std', 'FP32', [-1, 1]), out('fixed', 'FP32', [3])));
    expect(i.value).toEqual({ output: 'variable', column: 0 });
    expect(i.extras).toEqual(['ids', 'std']);
  });

  it.each<[string, ModelTask, ModelSignature, ScoreOutput | undefined, RegExp, string]>([
    ['regression with no float output', 'regression', sig(out('label', 'INT64', [-1])), undefined, /regression model needs a float output/, 'outputs_unfit_for_task'],
    ['regression with only a [N, 3] float output', 'regression', sig(out('y', 'FP32', [-1, 3])), undefined, /regression model needs/, 'outputs_unfit_for_task'],
    ['multiclass without probabilities', 'multiclass_classification', sig(out('label', 'INT64', [-1])), undefined, /needs a float probability output/, 'outputs_unfit_for_task'],
    ['binary with only a label', 'binary_classification', sig(out('label', 'INT64', [-1])), undefined, /binary classifier needs/, 'outputs_unfit_for_task'],
    ['binary with three probability columns', 'binary_classification', sig(out('p', 'FP32', [-1, 3])), undefined, /has 3 columns, not 2/, 'outputs_unfit_for_task'],
    ['a score_output naming a missing output', 'binary_classification', XGB, { output: 'nope' }, /"nope", which the model does not have/, 'bad_score_output'],
    ['a score_output naming a missing column', 'binary_classification', XGB, { output: 'probabilities', column: 2 }, /column 2 does not exist/, 'bad_score_output'],
    ['a score_output on an integer output', 'binary_classification', XGB, { output: 'label' }, /must be a float/, 'bad_score_output'],
    ['a score_output on a multiclass model', 'multiclass_classification', sig(out('p', 'FP32', [-1, 3])), { output: 'p' }, /not to multiclass/, 'bad_score_output'],
  ])('refuses %s', (_label, task, signature, score, message, reason) => {
    const err = refusal(task, signature, score);
    expect(err.message).toMatch(message);
    expect(err.details.reason).toBe(reason);
  });
});

describe('decodeRows', () => {
  const xgbResults = { label: i64([0, 1, 1]), probabilities: f32([3, 2], [0.9, 0.1, 0.3, 0.7, 0.2, 0.8]) };

  it('decodes binary rows into label, score and probabilities keyed by class index', () => {
    const rows = decodeRows(interpretOutputs('binary_classification', XGB), xgbResults, 0, 3);
    expect(rows).toHaveLength(3);
    expect(rows[1].label).toBe(1);
    expect(rows[1].score).toBeCloseTo(0.7, 6);
    expect(Object.keys(rows[1].probabilities!)).toEqual(['0', '1']);
    expect(rows[1].probabilities!['0']).toBeCloseTo(0.3, 6);
    expect(JSON.parse(JSON.stringify(rows[0]))).toEqual({ label: 0, score: expect.closeTo(0.1, 6), probabilities: { 0: expect.closeTo(0.9, 6), 1: expect.closeTo(0.1, 6) } });
  });

  it('decodes only the caller’s slice of a shared batch', () => {
    const rows = decodeRows(interpretOutputs('binary_classification', XGB), xgbResults, 1, 2);
    expect(rows.map((r) => r.label)).toEqual([1, 1]);
    expect(rows[1].score).toBeCloseTo(0.8, 6);
    expect(decodeRows(interpretOutputs('binary_classification', XGB), xgbResults, 3, 0)).toEqual([]);
  });

  it('derives label and probabilities from a single binary score', () => {
    const i = interpretOutputs('binary_classification', sig(out('prob', 'FP32', [-1, 1])));
    const rows = decodeRows(i, { prob: f32([2, 1], [0.25, 0.5]) }, 0, 2);
    expect(rows[0]).toEqual({ label: 0, score: 0.25, probabilities: { 0: 0.75, 1: 0.25 } });
    expect(rows[1].label).toBe(1);
  });

  it('decodes multiclass rows with string labels, or the argmax when there is no label output', () => {
    const probs = f32([2, 3], [0.2, 0.5, 0.3, 0.6, 0.1, 0.3]);
    const withLabels = interpretOutputs('multiclass_classification', sig(out('label', 'BYTES', [-1]), out('p', 'FP32', [-1, 3])));
    const rows = decodeRows(withLabels, { label: new ort.Tensor('string', ['setosa', 'virginica'], [2]), p: probs }, 0, 2);
    expect(rows[0].label).toBe('setosa');
    expect(Object.keys(rows[0].probabilities!)).toEqual(['0', '1', '2']);
    expect(rows[0].score).toBeUndefined();
    const argmax = interpretOutputs('multiclass_classification', sig(out('p', 'FP32', [-1, 3])));
    expect(decodeRows(argmax, { p: probs }, 0, 2).map((r) => r.label)).toEqual([1, 0]);
    expect([...scoresOf(argmax, { p: probs }, 2)]).toEqual([1, 0]);
  });

  it('decodes regression values and returns unused batch outputs per row', () => {
    const i = interpretOutputs('regression', sig(out('variable', 'FP64', [-1, 1]), out('ids', 'INT64', [-1]), out('emb', 'FP32', [-1, 2])));
    const results = {
      variable: new ort.Tensor('float64', Float64Array.from([151.2, -3]), [2, 1]),
      ids: i64([7, 2 ** 40]),
      emb: f32([2, 2], [1, 2, 3, 4]),
    };
    expect(decodeRows(i, results, 1, 1)).toEqual([{ value: -3, outputs: { ids: 2 ** 40, emb: [3, 4] } }]);
    expect([...scoresOf(i, results, 2)]).toEqual([151.2, -3]);
    expect(scoreAt(i, results, 0)).toBe(151.2);
  });

  it('gives the positive score of every row for a binary baseline', () => {
    const scores = scoresOf(interpretOutputs('binary_classification', XGB), xgbResults, 3);
    expect(scores).toBeInstanceOf(Float64Array);
    expect([...scores].map((s) => Math.round(s * 10) / 10)).toEqual([0.1, 0.7, 0.8]);
  });
});
