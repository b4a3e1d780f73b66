import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { linearRegressor, softmaxClassifier } from './support/onnx-builder.js';
import { readExpected, readFixtureCsv } from './support/onnx-fixtures.js';
import { createModel, fixture, setAlias, uploadOk } from './support/registry.js';
import { eventually } from './support/app.js';
import { inject, instanceOf } from './support/serving.js';

const BC = 'breast_cancer_xgb';

describe('serving: /v1 predict and the Open Inference Protocol', () => {
  let db: TestDatabase;
  let t: TestApp;
  const csv = readFixtureCsv(`${BC}.test.csv`);
  const expected = readExpected(`${BC}.expected.json`).p1;
  let features: string[];

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_INPUT_SAMPLE_RATE: '1', MODELGATE_TELEMETRY_FLUSH_MS: '50' } });
    await createModel(t, 'bc');
    const v = await uploadOk(t, 'bc', { file: fixture(`${BC}.onnx`) });
    features = v.feature_names;
    await uploadOk(t, 'bc', { file: fixture(`${BC}.onnx`) });
    await setAlias(t, 'bc', 'production', 1);
    await setAlias(t, 'bc', 'staging', 2);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('answers the production version with the model own probabilities to 1e-5', async () => {
    const instances = Array.from({ length: csv.rows }, (_, i) => instanceOf(features, csv.data, i));
    const res = await t.http.post('/v1/models/bc/predict').set(t.admin).send({ instances }).expect(200);
    expect(res.body).toMatchObject({ model: 'bc', version: 1, variant: 'v1', fallback: false });
    expect(res.body.predictions).toHaveLength(csv.rows);
    res.body.predictions.forEach((p: any, i: number) => {
      expect(p.score).toBeCloseTo(expected[i], 5);
      expect(Math.abs(p.score - expected[i])).toBeLessThan(1e-5);
      expect(p.label).toBe(expected[i] >= 0.5 ? 1 : 0);
      expect(p.probabilities['1']).toBe(p.score);
      expect(p.probabilities['0'] + p.probabilities['1']).toBeCloseTo(1, 5);
      expect(p.prediction_id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });
    expect(new Set(res.body.predictions.map((p: any) => p.prediction_id)).size).toBe(csv.rows);
  });

  it('takes ordered rows as inputs', async () => {
    const inputs = [Array.from(csv.data.subarray(0, 30))];
    const res = await t.http.post('/v1/models/bc/predict').set(t.admin).send({ inputs }).expect(200);
    expect(Math.abs(res.body.predictions[0].score - expected[0])).toBeLessThan(1e-5);
  });

  it('serves a pinned version and an alias with the same answer shape', async () => {
    const instances = [instanceOf(features, csv.data, 3)];
    // Version 2 is the staging alias's, so it is routed and loaded: the pinned call answers at once.
    const pinned = await t.http.post('/v1/models/bc/versions/2/predict').set(t.admin).send({ instances }).expect(200);
    expect(pinned.body).toMatchObject({ model: 'bc', version: 2, variant: 'v2', fallback: false });
    const alias = await t.http.post('/v1/models/bc/aliases/staging/predict').set(t.admin).send({ instances }).expect(200);
    expect(alias.body).toMatchObject({ version: 2, variant: 'staging' });
    expect(Math.abs(alias.body.predictions[0].score - expected[3])).toBeLessThan(1e-5);
  });

  it('treats a null feature as a missing value: NaN to the model, null in the record', async () => {
    // worst_concave_points moves this row's score from 0.0015 to 0.21 when missing,
    // so a null read as anything but NaN (or dropped) shows in the score.
    const feature = 'worst_concave_points';
    const row = { ...instanceOf(features, csv.data, 0), [feature]: null };
    const res = await t.http.post('/v1/models/bc/predict').set(t.admin).send({ instances: [row] }).expect(200);
    const withNaN = Float32Array.from(csv.data.subarray(0, 30));
    withNaN[features.indexOf(feature)] = NaN;
    const session = await ort.InferenceSession.create(fixture(`${BC}.onnx`));
    const reference = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', withNaN, [1, 30]) })).probabilities.data[1] as number;
    await session.release();
    expect(Math.abs(reference - expected[0])).toBeGreaterThan(0.1);
    expect(Math.abs(res.body.predictions[0].score - reference)).toBeLessThan(1e-6);
    const id = res.body.predictions[0].prediction_id;
    const recorded = await eventually(async () => {
      const r = await withClient(db.url, (c) => c.query('SELECT inputs FROM predictions WHERE id = $1', [id]));
      return r.rows[0]?.inputs;
    });
    expect(recorded).toHaveProperty(feature, null);
  });

  describe('refuses bad input with a precise 4xx', () => {
    const post = (body: unknown, url = '/v1/models/bc/predict') => t.http.post(url).set(t.admin).send(body as object);

    it('names a missing and an unknown feature', async () => {
      const { mean_radius: _, ...missing } = instanceOf(features, csv.data, 0);
      const a = await post({ instances: [missing] }).expect(400);
      expect(a.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { feature: 'mean_radius', reason: 'missing' } });
      const b = await post({ instances: [{ ...instanceOf(features, csv.data, 0), age: 3 }] }).expect(400);
      expect(b.body.error.details).toMatchObject({ feature: 'age', reason: 'unknown' });
    });

    it('refuses a wrong type, a wrong width, an empty batch and an ambiguous body', async () => {
      const a = await post({ instances: [{ ...instanceOf(features, csv.data, 0), mean_radius: 'big' }] }).expect(400);
      expect(a.body.error.message).toMatch(/instances\.0\.mean_radius must be a number or null/);
      const b = await post({ inputs: [[1, 2, 3]] }).expect(400);
      expect(b.body.error.details).toMatchObject({ expected_width: 30, width: 3 });
      const c = await post({ instances: [] }).expect(400);
      expect(c.body.error.message).toMatch(/must not be empty/);
      const d = await post({ instances: [], inputs: [] }).expect(400);
      expect(d.body.error.message).toMatch(/exactly one/);
      const e = await post([1, 2]).expect(400);
      expect(e.body.error.code).toBe('VALIDATION_FAILED');
    });

    it('refuses malformed JSON, a non-JSON body, too many rows and a body over the limit', async () => {
      const a = await t.http.post('/v1/models/bc/predict').set(t.admin).set('content-type', 'application/json').send('{"instances": [').expect(400);
      expect(a.body.error.code).toBe('MALFORMED_JSON');
      const b = await t.http.post('/v1/models/bc/predict').set(t.admin).set('content-type', 'application/xml').send('<x/>').expect(415);
      expect(b.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
      const many = Array.from({ length: 10_001 }, () => Array.from(csv.data.subarray(0, 30)));
      const c = await post({ inputs: many }).expect(413);
      expect(c.body.error.code).toMatch(/TOO_MANY_ROWS|PAYLOAD_TOO_LARGE/);
      const big = await t.http
        .post('/v1/models/bc/predict')
        .set(t.admin)
        .set('content-type', 'application/json')
        .send(`{"inputs": [${'0,'.repeat(6 * 1024 * 1024)}0]}`)
        .expect(413);
      expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    });

    it('answers unknown models, versions and aliases with 404 codes', async () => {
      const row = { instances: [instanceOf(features, csv.data, 0)] };
      expect((await post(row, '/v1/models/nope/predict').expect(404)).body.error.code).toBe('MODEL_NOT_FOUND');
      expect((await post(row, '/v1/models/bc/versions/9/predict').expect(404)).body.error.code).toBe('VERSION_NOT_FOUND');
      expect((await post(row, '/v1/models/bc/aliases/nope/predict').expect(404)).body.error.code).toBe('ALIAS_NOT_FOUND');
      expect((await post(row, '/v1/models/bc/versions/x/predict').expect(400)).body.error.details.field).toBe('version');
    });
  });

  it('records every prediction with its inputs when sampled', async () => {
    const res = await t.http.post('/v1/models/bc/predict').set(t.admin).send({ instances: [instanceOf(features, csv.data, 7)] }).expect(200);
    const id = res.body.predictions[0].prediction_id;
    const row = await eventually(async () => {
      const r = await withClient(db.url, (c) => c.query('SELECT * FROM predictions WHERE id = $1', [id]));
      return r.rows[0];
    });
    expect(row).toMatchObject({ model: 'bc', version: 1, variant: 'v1', protocol: 'v1', fallback: false });
    expect(row.score).toBeCloseTo(res.body.predictions[0].score, 6);
    expect(row.label).toBe(String(res.body.predictions[0].label));
    expect(row.outputs).toBeNull();
    expect(row.inputs.mean_radius).toBeCloseTo(csv.data[7 * 30], 4);
  });

  it('gives each of many concurrent single-row callers its own row back, in fewer inferences than requests', async () => {
    const before = await batchStats(t);
    const n = 160;
    const results = await Promise.all(
      Array.from({ length: n }, (_, k) => inject(t, 'POST', '/v1/models/bc/predict', { instances: [instanceOf(features, csv.data, k % csv.rows)] })),
    );
    results.forEach((r, k) => {
      expect(r.statusCode).toBe(200);
      expect(Math.abs(r.json().predictions[0].score - expected[k % csv.rows])).toBeLessThan(1e-5);
    });
    const after = await batchStats(t);
    const runs = after.count - before.count;
    const rows = after.sum - before.sum;
    expect(rows).toBe(n);
    expect(runs).toBeLessThan(n);
  });

  describe('Open Inference Protocol (KServe V2)', () => {
    const tensor = (rows: number[]) => ({
      name: 'input',
      shape: [rows.length, 30],
      datatype: 'FP32',
      data: rows.flatMap((i) => Array.from(csv.data.subarray(i * 30, i * 30 + 30))),
    });

    it('answers server and model metadata and readiness', async () => {
      expect((await t.http.get('/v2/health/live').expect(200)).body).toEqual({ live: true });
      expect((await t.http.get('/v2/health/ready').expect(200)).body).toEqual({ ready: true });
      const server = await t.http.get('/v2').set(t.admin).expect(200);
      expect(server.body.name).toBe('modelgate');
      const meta = await t.http.get('/v2/models/bc').set(t.admin).expect(200);
      expect(meta.body).toMatchObject({ name: 'bc', platform: 'onnxruntime_onnx', inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 30] }] });
      expect(meta.body.outputs.map((o: any) => o.name)).toEqual(['label', 'probabilities']);
      await t.http.get('/v2/models/bc/versions/2').set(t.admin).expect(200);
      expect((await t.http.get('/v2/models/bc/ready').set(t.admin).expect(200)).body.ready).toBe(true);
      expect((await t.http.get('/v2/models/bc/versions/2/ready').set(t.admin).expect(200)).body.ready).toBe(true);
    });

    it('infers with the routed version, echoes the id and returns output tensors equal to the model own', async () => {
      const res = await t.http.post('/v2/models/bc/infer').set(t.admin).send({ id: 'req-1', inputs: [tensor([0, 1, 2])] }).expect(200);
      expect(res.body).toMatchObject({ model_name: 'bc', model_version: '1', id: 'req-1' });
      const probs = res.body.outputs.find((o: any) => o.name === 'probabilities');
      expect(probs).toMatchObject({ datatype: 'FP32', shape: [3, 2] });
      for (let i = 0; i < 3; i++) expect(Math.abs(probs.data[i * 2 + 1] - expected[i])).toBeLessThan(1e-5);
      const labels = res.body.outputs.find((o: any) => o.name === 'label');
      expect(labels).toMatchObject({ datatype: 'INT64', shape: [3] });
      expect(res.body.parameters.prediction_ids.split(',')).toHaveLength(3);
    });

    it('returns only the requested outputs, on a pinned version', async () => {
      const res = await t.http
        .post('/v2/models/bc/versions/2/infer')
        .set(t.admin)
        .send({ inputs: [tensor([5])], outputs: [{ name: 'probabilities' }] })
        .expect(200);
      expect(res.body.model_version).toBe('2');
      expect(res.body.outputs.map((o: any) => o.name)).toEqual(['probabilities']);
    });

    it('answers errors in the protocol shape with our code beside it', async () => {
      const wrongType = await t.http.post('/v2/models/bc/infer').set(t.admin).send({ inputs: [{ ...tensor([0]), datatype: 'INT64' }] }).expect(400);
      expect(wrongType.body).toEqual({ error: expect.stringMatching(/datatype/), code: 'VALIDATION_FAILED' });
      const wrongShape = await t.http.post('/v2/models/bc/infer').set(t.admin).send({ inputs: [{ ...tensor([0]), shape: [1, 29] }] }).expect(400);
      expect(wrongShape.body.error).toMatch(/shape/);
      const unknown = await t.http.post('/v2/models/nope/infer').set(t.admin).send({ inputs: [tensor([0])] }).expect(404);
      expect(unknown.body).toEqual({ error: expect.any(String), code: 'MODEL_NOT_FOUND' });
      const noAuth = await t.http.post('/v2/models/bc/infer').send({ inputs: [tensor([0])] }).expect(401);
      expect(noAuth.body.code).toBe('UNAUTHENTICATED');
    });
  });

  describe('other tasks', () => {
    it('answers a regressor with value and a multiclass model with label and probabilities', async () => {
      await createModel(t, 'price', 'regression');
      await uploadOk(t, 'price', { file: linearRegressor({ weights: [2, 3], bias: 1, featureNames: ['a', 'b'] }) });
      await setAlias(t, 'price', 'production', 1);
      const r = await t.http.post('/v1/models/price/predict').set(t.admin).send({ instances: [{ a: 1, b: 2 }] }).expect(200);
      expect(r.body.predictions[0].value).toBeCloseTo(9, 5);
      expect(r.body.predictions[0].score).toBeUndefined();

      await createModel(t, 'colour', 'multiclass_classification');
      await uploadOk(t, 'colour', {
        file: softmaxClassifier({ weights: [[1, 0, -1], [0, 1, 0]], bias: [0, 0, 0], featureNames: ['x', 'y'] }),
      });
      await setAlias(t, 'colour', 'production', 1);
      const m = await t.http.post('/v1/models/colour/predict').set(t.admin).send({ instances: [{ x: 5, y: 0 }] }).expect(200);
      const p = m.body.predictions[0];
      expect(p.label).toBe(0);
      expect(Object.keys(p.probabilities)).toEqual(['0', '1', '2']);
      expect(p.score).toBeUndefined();
    });
  });
});

async function batchStats(t: TestApp): Promise<{ count: number; sum: number }> {
  const text = (await t.http.get('/metrics').expect(200)).text;
  const pick = (suffix: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`modelgate_inference_batch_rows_${suffix}{`) && l.includes('model="bc"') && l.includes('version="1"'));
    return line ? Number(line.split(' ').pop()) : 0;
  };
  return { count: pick('count'), sum: pick('sum') };
}
