import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { failingClassifier, logisticBinaryClassifier, writeModel, zipMapClassifier } from '../../test/support/onnx-builder.js';
import { fixturePath } from '../../test/support/onnx-fixtures.js';
import { InferenceThreads } from './inference-threads.js';
import { InvalidOnnxModel } from './onnx.errors.js';
import { OnnxSession, type OnnxSessionOptions } from './onnx-session.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-session-'));
const threads = new InferenceThreads(2);
afterAll(async () => {
  await threads.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe.each([
  ['on the event loop thread', {} as OnnxSessionOptions],
  ['in an inference thread', { threads }],
])('OnnxSession %s', (_where, where) => {
  const load = (file: string, opts: OnnxSessionOptions = {}) => OnnxSession.load(file, { ...opts, ...where });

  it('loads a model with its signature and runs it', async () => {
    const s = await load(fixturePath('breast_cancer_xgb.onnx'), { intraOpThreads: 1 });
    expect(s.signature.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 30] }]);
    expect(s.inputNames).toEqual(['input']);
    expect(s.outputNames).toEqual(['label', 'probabilities']);
    expect(s.runsIn).toBe(where.threads ? 'inference_thread' : 'calling_thread');
    const out = await s.run({ input: new ort.Tensor('float32', new Float32Array(60), [2, 30]) });
    expect(out.probabilities.dims).toEqual([2, 2]);
    await s.release();
  });

  it('refuses runs after release, and releasing twice is harmless', async () => {
    const s = await load(writeModel(logisticBinaryClassifier({ weights: [1], bias: 0 }), dir));
    await s.release();
    await s.release();
    await expect(s.run({ input: new ort.Tensor('float32', new Float32Array(1), [1, 1]) })).rejects.toThrow(/released/);
  });

  it('rejects a run that fails inside onnxruntime, and keeps serving afterwards', async () => {
    const s = await load(writeModel(failingClassifier(), dir));
    const bad = Float32Array.from([5000, 0, 0]);
    await expect(s.run({ input: new ort.Tensor('float32', bad, [1, 3]) })).rejects.toThrow(/Gather/);
    await expect(s.run({ input: new ort.Tensor('float32', new Float32Array(3), [1, 3]) })).resolves.toHaveProperty('label');
    await s.release();
  });

  it('refuses a file that does not load, or has a non-tensor output, with InvalidOnnxModel', async () => {
    const garbage = path.join(dir, 'garbage.onnx');
    fs.writeFileSync(garbage, 'not a model');
    await expect(load(garbage)).rejects.toMatchObject({ code: 'INVALID_MODEL', reason: 'load_failed' });
    const zip = load(writeModel(zipMapClassifier(), dir));
    await expect(zip).rejects.toBeInstanceOf(InvalidOnnxModel);
    await expect(zip).rejects.toThrow(/zipmap=False/);
  });
});

describe('OnnxSession in an inference thread', () => {
  it('answers what the event loop thread answers, outputs and all, for a batch from a view of a larger buffer', async () => {
    const file = fixturePath('breast_cancer_xgb.onnx');
    const [inline, threaded] = await Promise.all([OnnxSession.load(file), OnnxSession.load(file, { threads })]);
    const big = new Float32Array(64 * 30).map((_, i) => (i * 7919) % 113);
    const view = big.subarray(30, 30 * 5);
    const a = await inline.run({ input: new ort.Tensor('float32', view, [4, 30]) });
    const b = await threaded.run({ input: new ort.Tensor('float32', view, [4, 30]) });
    expect(b.probabilities.dims).toEqual([4, 2]);
    expect(Array.from(b.probabilities.data as Float32Array)).toEqual(Array.from(a.probabilities.data as Float32Array));
    expect(b.label.type).toBe('int64');
    expect(Array.from(b.label.data as BigInt64Array)).toEqual(Array.from(a.label.data as BigInt64Array));
    // The caller's buffer is left as it was (copied, not transferred away).
    expect(big.length).toBe(64 * 30);
    expect(view[0]).toBe(big[30]);
    await Promise.all([inline.release(), threaded.release()]);
  });

  it('keeps serving when its thread stops: the session is loaded again in a new one', async () => {
    const own = new InferenceThreads(1);
    try {
      const s = await OnnxSession.load(writeModel(logisticBinaryClassifier({ weights: [2], bias: 0 }), dir), { threads: own });
      const input = () => ({ input: new ort.Tensor('float32', Float32Array.from([1]), [1, 1]) });
      const before = await s.run(input());
      // Stop the worker as a crash would (close() of one thread, then reopen through the pool's placement).
      const thread = own.pick();
      await (thread as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
      const after = await s.run(input());
      expect(Array.from(after.probabilities.data as Float32Array)).toEqual(Array.from(before.probabilities.data as Float32Array));
      expect(thread.generation).toBe(1);
      await s.release();
    } finally {
      await own.close();
    }
  });
});
