import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createModel, fixture, fixtureBytes, setAlias, uploadOk, uploadVersion } from './support/registry.js';
import { inject } from './support/serving.js';
import { identityGraph } from './support/v2-graphs.js';

/** Task `tensor`: any ONNX graph, outputs returned by name, no score or label decoding. */
const EXPECTED = JSON.parse(fixtureBytes('loan_default_xgb.expected.json').toString('utf8'));

describe('generic tensor models (task tensor)', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_GRPC_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('registers a model with task tensor and lists it by that task', async () => {
    expect((await createModel(t, 'ident', 'tensor')).task).toBe('tensor');
    const listed = await t.http.get('/api/v1/models?task=tensor').set(t.admin).expect(200);
    expect(listed.body.models.map((m: { name: string }) => m.name)).toEqual(['ident']);
  });

  it('serves any graph through V2, outputs by name as they are', async () => {
    await uploadOk(t, 'ident', { file: identityGraph('INT32') });
    await setAlias(t, 'ident', 'production', 1);
    const doc = { inputs: [{ name: 'x', shape: [2, 3], datatype: 'INT32', data: [1, 2, 3, 4, 5, 6] }, { name: 'f', shape: [2, 1], datatype: 'FP32', data: [0.5, 1.5] }] };
    const res = await eventually(async () => {
      const r = await inject(t, 'POST', '/v2/models/ident/infer', doc);
      return r.statusCode === 200 ? r : undefined;
    }, 30_000);
    const outputs = res!.json().outputs;
    expect(outputs.find((o: { name: string }) => o.name === 'y')).toMatchObject({ datatype: 'INT32', shape: [2, 3], data: [1, 2, 3, 4, 5, 6] });
    expect(outputs.find((o: { name: string }) => o.name === 'value')).toMatchObject({ datatype: 'FP32', shape: [2, 1], data: [0.5, 1.5] });
  });

  it('answers /v1 with each row\'s outputs by name and no score or label', async () => {
    await createModel(t, 'loan-raw', 'tensor');
    await uploadOk(t, 'loan-raw', { file: fixture('loan_default_xgb.onnx'), metadata: { feature_names: EXPECTED.feature_names } });
    await setAlias(t, 'loan-raw', 'production', 1);
    const [header, first] = fixtureBytes('loan_default_xgb.test.csv').toString('utf8').split('\n');
    const cells = first.split(',').map(Number);
    const row = Object.fromEntries(EXPECTED.feature_names.map((f: string) => [f, cells[header.split(',').indexOf(f)]]));
    const res = await eventually(async () => {
      const r = await inject(t, 'POST', '/v1/models/loan-raw/predict', { instances: [row] });
      return r.statusCode === 200 ? r : undefined;
    }, 30_000);
    const [p] = res!.json().predictions;
    expect(p.score).toBeUndefined();
    expect(p.label).toBeUndefined();
    expect(Object.keys(p.outputs).sort()).toEqual(['label', 'probabilities']);
    expect(p.outputs.probabilities[1]).toBeCloseTo(EXPECTED.p1[0], 5);
  });

  it('refuses a baseline for a tensor model, saying its monitoring is latency and errors only', async () => {
    const res = await uploadVersion(t, 'loan-raw', { file: fixture('loan_default_xgb.onnx'), baseline: fixture('loan_default_xgb.valid.csv'), metadata: { feature_names: EXPECTED.feature_names } });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.message).toMatch(/latency and errors only/);
    expect(res.body.error.details.field).toBe('baseline');
  });
});
