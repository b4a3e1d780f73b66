import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import onnxProto from 'onnx-proto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  linearRegressor,
  logisticBinaryClassifier,
  softmaxClassifier,
  writeModel,
  zipMapClassifier,
} from '../../test/support/onnx-builder.js';
import { fixturePath, readExpected } from '../../test/support/onnx-fixtures.js';
import { inspectOnnxModel } from './model-inspector.js';
import { InvalidOnnxModel } from './onnx.errors.js';

const { onnx } = onnxProto;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-inspect-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const fileWith = (bytes: Uint8Array | string) => {
  const f = path.join(dir, `f-${Math.random().toString(36).slice(2)}.onnx`);
  fs.writeFileSync(f, bytes);
  return f;
};

async function refusal(file: string): Promise<InvalidOnnxModel> {
  const err = await inspectOnnxModel(file).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidOnnxModel);
  const e = err as InvalidOnnxModel;
  expect(e.kind).toBe('unprocessable');
  expect(e.code).toBe('INVALID_MODEL');
  expect(e.details.reason).toBe(e.reason);
  return e;
}

describe('inspectOnnxModel', () => {
  it('describes the breast cancer XGBoost fixture', async () => {
    const info = await inspectOnnxModel(fixturePath('breast_cancer_xgb.onnx'));
    expect(info.signature).toEqual({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 30] }],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
    });
    expect(JSON.parse(info.metadata.feature_names)).toEqual(readExpected('breast_cancer_xgb.expected.json').feature_names);
    expect(info.irVersion).toBeGreaterThan(0);
    expect(info.opsets['ai.onnx']).toBeGreaterThan(0);
    expect(typeof info.producer.name).toBe('string');
  });

  it('describes the loan default XGBoost fixture', async () => {
    const info = await inspectOnnxModel(fixturePath('loan_default_xgb.onnx'));
    expect(info.signature.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 12] }]);
    expect(info.signature.outputs.map((o) => o.name)).toEqual(['label', 'probabilities']);
    expect(JSON.parse(info.metadata.feature_names)).toEqual(readExpected('loan_default_xgb.expected.json').feature_names);
  });

  it('maps element types to Open Inference Protocol datatypes and named dimensions to -1', async () => {
    const info = await inspectOnnxModel(
      writeModel(linearRegressor({ weights: [1, 2], bias: 0, layout: 'columns', featureNames: ['a', 'b'], inputType: 'int64' }), dir),
    );
    expect(info.signature.inputs).toEqual([
      { name: 'a', datatype: 'INT64', shape: [-1, 1] },
      { name: 'b', datatype: 'INT64', shape: [-1, 1] },
    ]);
    expect(info.metadata).toEqual({ feature_names: '["a","b"]' });
    expect(info.producer).toEqual({ name: 'modelgate-test-builder', version: '1' });
    expect(info.opsets).toEqual({ 'ai.onnx': 15 });
    const fp64 = await inspectOnnxModel(writeModel(softmaxClassifier({ weights: [[1, 2, 3]], bias: [0, 0, 0], inputType: 'float64' }), dir));
    expect(fp64.signature.inputs[0]).toEqual({ name: 'input', datatype: 'FP64', shape: [-1, 1] });
    expect(fp64.signature.outputs[1]).toEqual({ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] });
  });

  it('refuses a scikit-learn ZipMap output, saying to re-export with zipmap=False', async () => {
    const e = await refusal(writeModel(zipMapClassifier(), dir));
    expect(e.reason).toBe('non_tensor_value');
    expect(e.message).toContain('output "output_probability"');
    expect(e.message).toContain('zipmap=False');
    expect(e.details.output).toBe('output_probability');
  });

  it('refuses an empty file', async () => {
    const e = await refusal(fileWith(''));
    expect(e.reason).toBe('empty_file');
    expect(e.message).toMatch(/empty/);
  });

  it('refuses a file that is not ONNX', async () => {
    const e = await refusal(fileWith('feature_a,feature_b\n1,2\n'));
    expect(e.reason).toBe('not_onnx');
    expect(e.message).toMatch(/^the file is not an ONNX model/);
  });

  it('refuses a truncated ONNX file as truncated', async () => {
    const bytes = fs.readFileSync(fixturePath('breast_cancer_xgb.onnx'));
    for (const n of [100, Math.floor(bytes.length / 2), bytes.length - 10]) {
      const e = await refusal(fileWith(bytes.subarray(0, n)));
      expect(e.reason).toBe('truncated');
      expect(e.message).toMatch(/truncated/);
    }
  });

  it('refuses a well-formed protobuf that onnxruntime cannot load, with its reason', async () => {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 15 }],
      graph: {
        name: 'g',
        node: [{ opType: 'NoSuchOperator', input: ['x'], output: ['y'] }],
        input: [{ name: 'x', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }] } } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1, shape: { dim: [{ dimParam: 'N' }] } } } }],
      },
    });
    const e = await refusal(fileWith(onnx.ModelProto.encode(model).finish()));
    expect(e.reason).toBe('load_failed');
    expect(e.message).toMatch(/^the model does not load in onnxruntime: .*NoSuchOperator/);
  });

  it('refuses an input declared without a shape, which requests could not be checked against', async () => {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 15 }],
      graph: {
        name: 'g',
        node: [{ opType: 'Identity', input: ['x'], output: ['y'] }],
        input: [{ name: 'x', type: { tensorType: { elemType: 1 } } }],
        output: [{ name: 'y', type: { tensorType: { elemType: 1 } } }],
      },
    });
    const e = await refusal(fileWith(onnx.ModelProto.encode(model).finish()));
    expect(e.reason).toBe('unknown_rank');
    expect(e.message).toContain('input "x"');
  });

  it('accepts a model that ships its weights in the graph (logistic regression built in TypeScript)', async () => {
    const info = await inspectOnnxModel(writeModel(logisticBinaryClassifier({ weights: [1, 2, 3], bias: 0 }), dir));
    expect(info.signature.outputs).toEqual([
      { name: 'label', datatype: 'INT64', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
    ]);
  });
});
