import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { failingClassifier, logisticBinaryClassifier, writeModel, zipMapClassifier } from '../../test/support/onnx-builder.js';
import { fixturePath } from '../../test/support/onnx-fixtures.js';
import { InvalidOnnxModel } from './onnx.errors.js';
import { OnnxSession } from './onnx-session.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-session-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('OnnxSession', () => {
  it('loads a model with its signature and runs it', async () => {
    const s = await OnnxSession.load(fixturePath('breast_cancer_xgb.onnx'), { intraOpThreads: 1 });
    expect(s.signature.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 30] }]);
    expect(s.inputNames).toEqual(['input']);
    expect(s.outputNames).toEqual(['label', 'probabilities']);
    const out = await s.run({ input: new ort.Tensor('float32', new Float32Array(60), [2, 30]) });
    expect(out.probabilities.dims).toEqual([2, 2]);
    await s.release();
  });

  it('refuses runs after release, and releasing twice is harmless', async () => {
    const s = await OnnxSession.load(writeModel(logisticBinaryClassifier({ weights: [1], bias: 0 }), dir));
    await s.release();
    await s.release();
    await expect(s.run({ input: new ort.Tensor('float32', new Float32Array(1), [1, 1]) })).rejects.toThrow(/released/);
  });

  it('rejects a run that fails inside onnxruntime, and keeps serving afterwards', async () => {
    const s = await OnnxSession.load(writeModel(failingClassifier(), dir));
    const bad = Float32Array.from([5000, 0, 0]);
    await expect(s.run({ input: new ort.Tensor('float32', bad, [1, 3]) })).rejects.toThrow(/Gather/);
    await expect(s.run({ input: new ort.Tensor('float32', new Float32Array(3), [1, 3]) })).resolves.toHaveProperty('label');
    await s.release();
  });

  it('refuses a file that does not load, or has a non-tensor output, with InvalidOnnxModel', async () => {
    const garbage = path.join(dir, 'garbage.onnx');
    fs.writeFileSync(garbage, 'not a model');
    await expect(OnnxSession.load(garbage)).rejects.toMatchObject({ code: 'INVALID_MODEL', reason: 'load_failed' });
    const zip = OnnxSession.load(writeModel(zipMapClassifier(), dir));
    await expect(zip).rejects.toBeInstanceOf(InvalidOnnxModel);
    await expect(zip).rejects.toThrow(/zipmap=False/);
  });
});
