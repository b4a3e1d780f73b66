import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { appendInitializer } from '../../test/support/heavy-onnx.mjs';
import {
  classifierNeedingInitializer,
  failingClassifier,
  linearRegressor,
  logisticBinaryClassifier,
  softmaxClassifier,
  writeModel,
  zipMapClassifier,
} from '../../test/support/onnx-builder.js';
import { fixturePath } from '../../test/support/onnx-fixtures.js';
import { readOnnxModelFile } from './onnx-file-reader.js';
import { OnnxReadError, readOnnxModel } from './onnx-model-reader.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-file-reader-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const FEATURES = { weights: [0.5, -0.25, 0.125], bias: 0.1, featureNames: ['a', 'b', 'c'] };

describe('readOnnxModelFile', () => {
  const files = {
    breast_cancer: fixturePath('breast_cancer_xgb.onnx'),
    loan_default: fixturePath('loan_default_xgb.onnx'),
    regressor: writeModel(linearRegressor({ weights: [1, 2], bias: 0 }), dir),
    softmax: writeModel(softmaxClassifier({ weights: [[1, 2, 3]], bias: [0, 0, 0], layout: 'columns', featureNames: ['x'] }), dir),
    failing: writeModel(failingClassifier(), dir),
    zipmap: writeModel(zipMapClassifier(), dir),
  };

  it('reads what readOnnxModel reads from the whole bytes, at any window size', () => {
    for (const [name, file] of Object.entries(files)) {
      const whole = readOnnxModel(fs.readFileSync(file));
      for (const windowBytes of [1, 7, 4096, 1 << 16]) {
        expect(readOnnxModelFile(file, { windowBytes }), `${name} at ${windowBytes}`).toEqual(whole);
      }
    }
  });

  it('reads a model with 48 MB of initializer data while copying no message over 4 KiB', () => {
    const file = path.join(dir, 'heavy.onnx');
    const size = appendInitializer(classifierNeedingInitializer({ ...FEATURES, initializer: 'heavy' }), { name: 'heavy', floats: 12_000_000, outPath: file });
    expect(size).toBeGreaterThan(48_000_000);
    const m = readOnnxModelFile(file, { maxMessageBytes: 4096 });
    expect(m.inputs.map((i) => i.name)).toEqual(['input']);
    expect(m.outputs.map((o) => o.name)).toEqual(['label', 'probabilities']);
    expect(m.metadata.feature_names).toBe('["a","b","c"]');
    expect(m.hasGraph).toBe(true);
  });

  it('builds heavy models that onnxruntime loads and that score like the small model', async () => {
    const file = path.join(dir, 'heavy-small.onnx');
    appendInitializer(classifierNeedingInitializer({ ...FEATURES, initializer: 'w' }), { name: 'w', floats: 1000, outPath: file });
    const heavy = await ort.InferenceSession.create(file);
    const light = await ort.InferenceSession.create(logisticBinaryClassifier(FEATURES));
    const feeds = { input: new ort.Tensor('float32', Float32Array.from([1, 2, 3]), [1, 3]) };
    const [h, l] = [await heavy.run(feeds), await light.run(feeds)];
    expect(Array.from(h.probabilities.data as Float32Array)).toEqual(Array.from(l.probabilities.data as Float32Array));
    await heavy.release();
    await light.release();
  });

  it('says truncated when the file ends inside the initializer or inside a varint', () => {
    const file = path.join(dir, 'cut.onnx');
    appendInitializer(classifierNeedingInitializer({ ...FEATURES, initializer: 'w' }), { name: 'w', floats: 100_000, outPath: file });
    for (const keep of [200_000, 3]) {
      const cut = path.join(dir, `cut-${keep}.onnx`);
      fs.writeFileSync(cut, fs.readFileSync(file).subarray(0, keep));
      const err = (() => {
        try {
          return readOnnxModelFile(cut);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(OnnxReadError);
      expect((err as OnnxReadError).kind).toBe('truncated');
    }
  });
});
