import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxSession } from '../src/onnx/onnx-session.js';
import { ModelRuntime } from '../src/serving/model-runtime.js';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { failingClassifier } from './support/onnx-builder.js';
import { readExpected, readFixtureCsv } from './support/onnx-fixtures.js';
import { createModel, fixture, setAlias, uploadOk } from './support/registry.js';
import { inject, instanceOf } from './support/serving.js';

const csv = readFixtureCsv('breast_cancer_xgb.test.csv');
const expected = readExpected('breast_cancer_xgb.expected.json');
const ROWS = 16;

/**
 * `MODELGATE_INFERENCE_THREADS=2`: the versions' sessions run in inference
 * threads, and every answer is what the event loop thread would give, from
 * the scores of the fixture to a run that fails inside onnxruntime.
 */
describe('serving with inference threads (MODELGATE_INFERENCE_THREADS=2)', () => {
  let db: TestDatabase;
  let t: TestApp;
  let closed = false;
  const instances = Array.from({ length: ROWS }, (_, r) => instanceOf(csv.header, csv.data, r));

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_INFERENCE_THREADS: '2' } });
    await createModel(t, 'bc');
    await uploadOk(t, 'bc', { file: fixture('breast_cancer_xgb.onnx') });
    await setAlias(t, 'bc', 'production', 1);
    await createModel(t, 'fails');
    await uploadOk(t, 'fails', { file: failingClassifier({ featureNames: ['a', 'b', 'c'] }) });
    await setAlias(t, 'fails', 'production', 1);
  });
  afterAll(async () => {
    if (!closed) await t?.close();
    await db?.drop();
  });

  it('answers /v1 and V2 with the scores XGBoost gives, single rows and a batch', async () => {
    await inject(t, 'POST', '/v1/models/bc/predict', { instances: [instances[0]] });
    expect(t.app.get(ModelRuntime).get('bc', 1)?.session.runsIn).toBe('inference_thread');
    const one = await inject(t, 'POST', '/v1/models/bc/predict', { instances: [instances[0]] });
    expect(one.statusCode, one.body).toBe(200);
    expect(one.json().predictions[0].score).toBeCloseTo(expected.p1[0], 5);
    const all = await Promise.all(instances.map((row) => inject(t, 'POST', '/v1/models/bc/predict', { instances: [row] })));
    all.forEach((res, r) => expect(res.json().predictions[0].score).toBeCloseTo(expected.p1[r], 5));
    const batch = await inject(t, 'POST', '/v1/models/bc/predict', { instances });
    expect(batch.json().predictions.map((p: { score: number }) => p.score)).toEqual(all.map((res) => res.json().predictions[0].score));
    const v2 = await inject(t, 'POST', '/v2/models/bc/infer', {
      inputs: [{ name: 'input', shape: [2, csv.width], datatype: 'FP32', data: Array.from(csv.data.subarray(0, 2 * csv.width)) }],
    });
    expect(v2.statusCode, v2.body).toBe(200);
    const proba = v2.json().outputs.find((o: { name: string }) => o.name === 'probabilities');
    expect(proba.data[1]).toBeCloseTo(expected.p1[0], 5);
    expect(proba.data[3]).toBeCloseTo(expected.p1[1], 5);
  });

  it('answers a run that fails inside onnxruntime as the event loop thread does, and keeps serving', async () => {
    const bad = await inject(t, 'POST', '/v1/models/fails/predict', { instances: [{ a: 5000, b: 0, c: 0 }] });
    expect(bad.statusCode).toBe(503);
    expect(bad.json().error.message).toMatch(/Gather/);
    const ok = await inject(t, 'POST', '/v1/models/fails/predict', { instances: [{ a: 1, b: 0, c: 0 }] });
    expect(ok.statusCode, ok.body).toBe(200);
  });

  it('releases the sessions in its threads when the app closes', async () => {
    const before = OnnxSession.liveSessions;
    expect(before).toBeGreaterThanOrEqual(2);
    await t.close();
    closed = true;
    expect(OnnxSession.liveSessions).toBe(before - 2);
  });
});
