import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveSketches } from '../src/monitoring/live/live-sketches.js';
import { PredictionRecorder } from '../src/monitoring/telemetry/prediction-recorder.js';
import * as grpc from '@grpc/grpc-js';
import { GrpcServer } from '../src/serving/grpc/grpc-server.js';
import { grpcCall, inferenceClient } from './support/grpc-client.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { findBinary } from './support/binaries.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { readExpected, readFixtureCsv } from './support/onnx-fixtures.js';
import { startRedis, type TestRedis } from './support/redis.js';
import { failingClassifier, logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, fixture, setAlias, uploadOk } from './support/registry.js';
import { inject, instanceOf } from './support/serving.js';
import { decodeInferResult, deserializeBytesTensor, serializeByteTensor, tritonInferBody } from './support/v2-wire.js';

const redisBin = findBinary('redis-server');
if (!redisBin && process.env.MODELGATE_TEST_REQUIRE_ALL === '1') throw new Error('redis-server is required (MODELGATE_TEST_REQUIRE_ALL=1)');

const csv = readFixtureCsv('breast_cancer_xgb.test.csv');
const expected = readExpected('breast_cancer_xgb.expected.json');
const NAMES = csv.header;
const LOOKED_UP = ['mean_radius', 'mean_texture', 'mean_area'];
const N = 14;
const VIEW = { name: 'tumour_profile', entities: ['patient_id'], features: { mean_radius: 'float', mean_texture: 'float', mean_area: 'float' }, ttl_s: 3600 };
const FAIL_BLOCK = {
  timeout_ms: 200,
  entities: ['patient_id'],
  features: { mean_radius: 'tumour_profile:mean_radius', mean_texture: 'tumour_profile:mean_texture', mean_area: { ref: 'tumour_profile:mean_area', on_missing: 'default', default: 500 } },
};
const DEFAULTS = { mean_radius: 14, mean_texture: 19, mean_area: 650 };
const SOFT_BLOCK = {
  timeout_ms: 200,
  entities: ['patient_id'],
  features: Object.fromEntries(LOOKED_UP.map((f) => [f, { ref: `tumour_profile:${f}`, on_missing: 'default', default: DEFAULTS[f as keyof typeof DEFAULTS] }])),
};

const full = (i: number) => instanceOf(NAMES, csv.data, i);
/** Row i as a caller that knows the patient sends it: its id, without the looked-up features. */
const keyed = (i: number, id = `p-${i}`) => {
  const row: Record<string, unknown> = { patient_id: id, ...full(i) };
  for (const f of LOOKED_UP) delete row[f];
  return row;
};
const SENT = NAMES.filter((f) => !LOOKED_UP.includes(f));
/** Rows `ids` as Open Inference Protocol inputs: the entity key as BYTES, each sent feature as FP32 [N, 1]. */
const v2Inputs = (ids: string[], rows: number[]) => [
  { name: 'patient_id', datatype: 'BYTES', shape: [ids.length, 1], data: ids },
  ...SENT.map((f) => ({ name: f, datatype: 'FP32', shape: [rows.length, 1], data: rows.map((i) => full(i)[f]) })),
];
const grpcInputs = (ids: string[], rows: number[]) => [
  { name: 'patient_id', datatype: 'BYTES', shape: [ids.length], contents: { bytes_contents: ids.map((id) => Buffer.from(id)) } },
  ...SENT.map((f) => ({ name: f, datatype: 'FP32', shape: [rows.length, 1], contents: { fp32_contents: rows.map((i) => full(i)[f]) } })),
];
const scrape = (text: string, line: string) => Number(text.split('\n').find((l) => l.startsWith(`${line} `))?.split(' ')[1] ?? 0);

const stores = redisBin ? (['postgres', 'redis'] as const) : (['postgres'] as const);

describe.each(stores)('predictions fill looked-up features from the online store (%s)', (kind) => {
  let db: TestDatabase;
  let redis: TestRedis | undefined;
  let t: TestApp;
  let client: any;

  const loadRows = () =>
    t.http
      .put('/api/v1/feature-views/tumour_profile/rows')
      .set(t.admin)
      .send({ rows: [...Array(N).keys()].map((i) => ({ patient_id: `p-${i}`, ...Object.fromEntries(LOOKED_UP.map((f) => [f, full(i)[f]])), event_time: new Date().toISOString() })) })
      .expect(200);
  const predict = (model: string, instances: unknown[], query = '') => inject(t, 'POST', `/v1/models/${model}/predict${query}`, { instances });

  beforeAll(async () => {
    db = await createTestDatabase();
    if (kind === 'redis') redis = await startRedis(redisBin!);
    t = await startTestApp({ db, env: { ...(redis ? { MODELGATE_FEATURE_STORE: redis.url } : {}), MODELGATE_INPUT_SAMPLE_RATE: '1', MODELGATE_MONITOR_FLUSH_MS: '100' } });
    await t.http.post('/api/v1/feature-views').set(t.admin).send(VIEW).expect(201);
    await loadRows();
    for (const [model, block] of [
      ['tumour', FAIL_BLOCK],
      ['tumour_soft', SOFT_BLOCK],
    ] as const) {
      await createModel(t, model);
      const v = await uploadOk(t, model, { file: fixture('breast_cancer_xgb.onnx'), baseline: fixture('breast_cancer_xgb.train.csv'), metadata: { online_features: block } });
      await setAlias(t, model, 'production', v.version);
      await eventually(async () => (await predict(model, [keyed(0)])).statusCode === 200, 30_000, 100);
    }
    client = inferenceClient(t.app.get(GrpcServer).port!);
  }, 120_000);
  afterAll(async () => {
    client?.close();
    await t?.close();
    await redis?.stop();
    await db?.drop();
  });

  it('scores a row sent with only its entity id as the same row with every feature sent (fixture scores, 1e-6), one read per request', async () => {
    const before = (await t.http.get('/metrics').set(t.admin)).text;
    const rows = [...Array(N).keys()];
    const looked = await predict('tumour', rows.map((i) => keyed(i)));
    expect(looked.statusCode, looked.body).toBe(200);
    const sent = await predict('tumour', rows.map(full));
    expect(sent.statusCode, sent.body).toBe(200);
    for (const i of rows) {
      expect(Math.abs(looked.json().predictions[i].score - expected.p1[i])).toBeLessThan(1e-6);
      expect(looked.json().predictions[i].score).toBeCloseTo(sent.json().predictions[i].score, 6);
    }
    expect(looked.json().predictions[0].features).toBeUndefined();
    const after = (await t.http.get('/metrics').set(t.admin)).text;
    const hits = 'modelgate_feature_lookups_total{view="tumour_profile",outcome="hit"}';
    expect(scrape(after, hits) - scrape(before, hits)).toBe(3 * N);
    const reads = `modelgate_feature_lookup_duration_seconds_count{store="${kind}",outcome="ok"}`;
    expect(scrape(after, reads) - scrape(before, reads)).toBe(1);
  });

  it('lets a value the caller sends win over the store, and explains every looked-up feature with explain_features=true', async () => {
    const row = { ...keyed(13), mean_texture: 39 };
    const res = await predict('tumour', [row], '?explain_features=true');
    expect(res.statusCode, res.body).toBe(200);
    const mixed = await predict('tumour', [{ ...full(13), mean_texture: 39 }]);
    const p = res.json().predictions[0];
    expect(p.score).toBeCloseTo(mixed.json().predictions[0].score, 6);
    expect(p.score).not.toBeCloseTo(expected.p1[13], 6);
    expect(p.features.mean_texture).toEqual({ value: 39, source: 'sent', age_ms: null });
    expect(p.features.mean_area).toMatchObject({ value: full(13).mean_area, source: 'store' });
    expect(p.features.mean_area.age_ms).toBeGreaterThanOrEqual(0);
    expect(Object.keys(p.features).sort()).toEqual([...LOOKED_UP].sort());
  });

  it('answers 422 FEATURE_MISSING naming the feature for an unknown entity under fail, and serves the default under default', async () => {
    const res = await predict('tumour', [keyed(0), keyed(2, 'p-nope')]);
    expect(res.statusCode, res.body).toBe(422);
    expect(res.json().error).toMatchObject({ code: 'FEATURE_MISSING', details: { feature: 'mean_radius', entity: 'p-nope', row: 1 } });
    expect(res.json().error.message).toMatch(/mean_radius/);
    const soft = await predict('tumour_soft', [keyed(2, 'p-nope')], '?explain_features=true');
    expect(soft.statusCode, soft.body).toBe(200);
    const defaulted = await predict('tumour_soft', [{ ...full(2), ...DEFAULTS }]);
    expect(soft.json().predictions[0].score).toBeCloseTo(defaulted.json().predictions[0].score, 6);
    expect(soft.json().predictions[0].features.mean_area).toEqual({ value: 650, source: 'default', age_ms: null });
  });

  it('still refuses a field that is neither a feature nor a declared entity key, and a missing entity id', async () => {
    const res = await predict('tumour', [{ ...keyed(0), colour: 3 }]);
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toMatchObject({ feature: 'colour', reason: 'unknown' });
    const noId = keyed(0);
    delete noId.patient_id;
    const res2 = await predict('tumour', [noId]);
    expect(res2.statusCode).toBe(400);
    expect(res2.json().error.details.field).toBe('instances.0.patient_id');
  });

  it('fills a V2 REST request whose entity key is a BYTES input, as /v1 does', async () => {
    const rows = [0, 1, 2, 3];
    const res = await inject(t, 'POST', '/v2/models/tumour/infer', { inputs: v2Inputs(rows.map((i) => `p-${i}`), rows), outputs: [{ name: 'probabilities' }] });
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json().outputs[0].data;
    for (const i of rows) expect(Math.abs(p[i * 2 + 1] - expected.p1[i])).toBeLessThan(1e-6);
    const missing = await inject(t, 'POST', '/v2/models/tumour/infer', { inputs: v2Inputs(['p-0', 'p-nope'], [0, 1]) });
    expect(missing.statusCode, missing.body).toBe(422);
    expect(missing.json()).toMatchObject({ code: 'FEATURE_MISSING', error: expect.stringMatching(/mean_radius/) });
    const wrongType = await inject(t, 'POST', '/v2/models/tumour/infer', { inputs: [{ name: 'patient_id', datatype: 'INT64', shape: [1], data: [1] }] });
    expect(wrongType.statusCode).toBe(400);
  });

  it('fills a gRPC ModelInfer whose entity key is a BYTES input; a missing value is INVALID_ARGUMENT naming the feature', async () => {
    const rows = [4, 5, 6];
    const res = await grpcCall<any>(client, 'ModelInfer', { model_name: 'tumour', inputs: grpcInputs(rows.map((i) => `p-${i}`), rows), outputs: [{ name: 'probabilities' }] });
    const p = res.outputs[0].contents.fp32_contents;
    rows.forEach((i, k) => expect(Math.abs(p[k * 2 + 1] - expected.p1[i])).toBeLessThan(1e-6));
    const err = (await grpcCall(client, 'ModelInfer', { model_name: 'tumour', inputs: grpcInputs(['p-nope'], [0]) }).catch((e) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toMatch(/mean_radius/);
  });

  /** Row k of a `features` output against /v1's explanation of the same row: the sent value as sent, the others from the store, with an age. */
  const expectExplained = async (elements: unknown[] | undefined, rows: number[]) => {
    expect(elements).toHaveLength(rows.length);
    const v1 = await predict('tumour', rows.map((i) => ({ ...keyed(i), mean_texture: 39 })), '?explain_features=true');
    expect(v1.statusCode, v1.body).toBe(200);
    const served = (f: Record<string, any>) => Object.fromEntries(Object.entries(f).map(([n, x]) => [n, { value: x.value, source: x.source }]));
    rows.forEach((i, k) => {
      const f = JSON.parse(String(elements![k]));
      expect(f.mean_texture).toEqual({ value: 39, source: 'sent', age_ms: null });
      expect(f.mean_area).toMatchObject({ value: full(i).mean_area, source: 'store' });
      expect(f.mean_area.age_ms).toBeGreaterThanOrEqual(0);
      expect(served(f)).toEqual(served(v1.json().predictions[k].features));
    });
  };
  const EXPLAINED = [12, 13];
  const explainedIds = EXPLAINED.map((i) => `p-${i}`);
  const column = (f: string) => Float32Array.from(EXPLAINED, (i) => full(i)[f] as number);

  it('answers a V2 REST request with parameters.explain_features an output "features", BYTES [N], row i the JSON of what /v1 explains', async () => {
    const inputs = [...v2Inputs(explainedIds, EXPLAINED), { name: 'mean_texture', datatype: 'FP32', shape: [2, 1], data: [39, 39] }];
    const infer = (body: unknown) => inject(t, 'POST', '/v2/models/tumour/infer', body);
    const res = await infer({ inputs, outputs: [{ name: 'probabilities' }], parameters: { explain_features: true } });
    expect(res.statusCode, res.body).toBe(200);
    const out = res.json().outputs;
    expect(out.map((o: any) => o.name)).toEqual(['probabilities', 'features']);
    expect(out[1]).toMatchObject({ datatype: 'BYTES', shape: [2] });
    await expectExplained(out[1].data, EXPLAINED);
    // Not asked, or asked of rows sent without entity keys (read the usual tensor way, nothing filled): no explanation, as /v1 answers none.
    const plain = await infer({ inputs, parameters: { explain_features: false } });
    expect(plain.json().outputs.map((o: any) => o.name)).not.toContain('features');
    const unfilled = await infer({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], data: NAMES.map((f) => full(0)[f]) }], parameters: { explain_features: true } });
    expect(unfilled.statusCode, unfilled.body).toBe(200);
    expect(unfilled.json().outputs.map((o: any) => o.name)).not.toContain('features');
    const bad = await infer({ inputs, parameters: { explain_features: 'yes' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({ code: 'VALIDATION_FAILED', error: expect.stringMatching(/explain_features/) });
  });

  it('documents explain_features and the "features" output on the V2 infer routes in OpenAPI', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body;
    for (const path of ['/v2/models/{name}/infer', '/v2/models/{name}/versions/{version}/infer']) {
      const op = doc.paths[path].post;
      expect(op.requestBody.content['application/json'].schema.properties.parameters.properties.explain_features.description).toMatch(/"features"/);
      expect(op.responses['200'].content['application/json'].schema.properties.outputs.description).toMatch(/"features": BYTES \[N\]/);
    }
  });

  it('answers "features" as binary data after the JSON header for a binary-data body as tritonclient.http sends it, as outputs or binary_data_output say', async () => {
    const inputs = [
      { name: 'patient_id', shape: [2, 1], datatype: 'BYTES', values: explainedIds, binary: true },
      ...SENT.map((f) => ({ name: f, shape: [2, 1], datatype: 'FP32', values: column(f), binary: true })),
      { name: 'mean_texture', shape: [2, 1], datatype: 'FP32', values: new Float32Array([39, 39]), binary: true },
    ];
    const send = (opts: Parameters<typeof tritonInferBody>[1]) => {
      const { body, jsonSize } = tritonInferBody(inputs, { ...opts, parameters: { explain_features: 'true' } });
      return inject(t, 'POST', '/v2/models/tumour/infer', body, { 'Inference-Header-Content-Length': String(jsonSize) });
    };
    const res = await send({});
    expect(res.statusCode, res.body).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    const answer = decodeInferResult(res.headers['inference-header-content-length'] as string, res.rawPayload);
    const features = answer.result.outputs.find((o: any) => o.name === 'features');
    expect(features).toMatchObject({ datatype: 'BYTES', shape: [2], parameters: { binary_data_size: expect.any(Number) } });
    expect(features.data).toBeUndefined();
    await expectExplained(answer.asArray('features'), EXPLAINED);
    // Named in outputs, "features" takes its own binary_data (binary_data_output is then not sent).
    const mixed = await send({ outputs: [{ name: 'probabilities', binary: false }, { name: 'features', binary: true }] });
    expect(mixed.statusCode, mixed.body).toBe(200);
    const m = decodeInferResult(mixed.headers['inference-header-content-length'] as string, mixed.rawPayload);
    expect(m.result.outputs.map((o: any) => o.name)).toEqual(['probabilities', 'features']);
    expect(m.result.outputs[0].data).toHaveLength(4);
    expect(m.result.outputs[1].parameters).toEqual({ binary_data_size: expect.any(Number) });
    await expectExplained(m.asArray('features'), EXPLAINED);
  });

  it('answers gRPC ModelInfer with the explain_features parameter an output "features", raw as tritonclient.grpc asks, or typed', async () => {
    const inputs = [{ name: 'patient_id', datatype: 'BYTES', shape: [2, 1] }, ...[...SENT, 'mean_texture'].map((f) => ({ name: f, datatype: 'FP32', shape: [2, 1] }))];
    const raw = [serializeByteTensor(explainedIds), ...SENT.map((f) => Buffer.from(column(f).buffer)), Buffer.from(new Float32Array([39, 39]).buffer)];
    const res = await grpcCall<any>(client, 'ModelInfer', { model_name: 'tumour', inputs, raw_input_contents: raw, parameters: { explain_features: { bool_param: true } } });
    const k = res.outputs.findIndex((o: any) => o.name === 'features');
    expect(res.outputs[k]).toMatchObject({ datatype: 'BYTES', shape: ['2'] });
    await expectExplained(deserializeBytesTensor(res.raw_output_contents[k]), EXPLAINED);
    const texture = { name: 'mean_texture', datatype: 'FP32', shape: [2, 1], contents: { fp32_contents: [39, 39] } };
    const typed = await grpcCall<any>(client, 'ModelInfer', {
      model_name: 'tumour',
      inputs: [...grpcInputs(explainedIds, EXPLAINED), texture],
      outputs: [{ name: 'probabilities' }, { name: 'features' }],
      parameters: { explain_features: { string_param: 'true' } },
    });
    expect(typed.raw_output_contents).toEqual([]);
    expect(typed.outputs.map((o: any) => o.name)).toEqual(['probabilities', 'features']);
    await expectExplained(typed.outputs[1].contents.bytes_contents.map((b: Buffer) => b.toString('utf8')), EXPLAINED);
  });

  it('fills again for a fallback whose block differs: the fallback serves its own looked-up values', async () => {
    const abc = ['a', 'b', 'c'];
    await t.http.post('/api/v1/feature-views').set(t.admin).send({ name: 'fb_view', entities: ['eid'], features: { big: 'float', small: 'float' }, ttl_s: 3600 }).expect(201);
    const now = new Date().toISOString();
    await t.http
      .put('/api/v1/feature-views/fb_view/rows')
      .set(t.admin)
      .send({ rows: [{ eid: 'e-ok', big: 1, small: 1, event_time: now }, { eid: 'e-1', big: 5000, small: 2, event_time: now }] })
      .expect(200);
    await createModel(t, 'fb');
    // Version 1 fails in onnxruntime when a >= 1000 and reads a from `big`; version 2 reads it from `small`.
    await uploadOk(t, 'fb', { file: failingClassifier({ featureNames: abc }), metadata: { online_features: { timeout_ms: 1000, entities: ['eid'], features: { a: 'fb_view:big' } } } });
    await uploadOk(t, 'fb', { file: logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias: 0, featureNames: abc }), metadata: { online_features: { timeout_ms: 1000, entities: ['eid'], features: { a: 'fb_view:small' } } } });
    const traffic = await t.http.put('/api/v1/models/fb/traffic').set(t.admin).send({ routes: [{ version: 1, weight: 100, name: 'main' }], fallback: 2 });
    expect(traffic.status, JSON.stringify(traffic.body)).toBe(200);
    await eventually(async () => (await predict('fb', [{ eid: 'e-ok', b: 1, c: 1 }])).json().version === 1, 30_000, 100);
    const res = await predict('fb', [{ eid: 'e-1', b: 1, c: 1 }], '?explain_features=true');
    expect(res.statusCode, res.body).toBe(200);
    const p = res.json();
    expect(p).toMatchObject({ version: 2, fallback: true });
    expect(p.predictions[0].score).toBeCloseTo(1 / (1 + Math.exp(-(0.5 * 2 - 0.25 + 0.125))), 5);
    expect(p.predictions[0].features.a).toMatchObject({ value: 2, source: 'store' });
  });

  it('copies the filled rows to a shadow with its features in another order, also for a V2 request sent with entity keys', async () => {
    await t.http.post('/api/v1/feature-views').set(t.admin).send({ name: 'sh_view', entities: ['eid'], features: { a: 'float' }, ttl_s: 3600 }).expect(201);
    await t.http.put('/api/v1/feature-views/sh_view/rows').set(t.admin).send({ rows: [{ eid: 'e-1', a: 2, event_time: new Date().toISOString() }] }).expect(200);
    await createModel(t, 'sh');
    const block = { timeout_ms: 1000, entities: ['eid'], features: { a: 'sh_view:a' } };
    await uploadOk(t, 'sh', { file: logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias: 0, featureNames: ['a', 'b', 'c'] }), metadata: { online_features: block } });
    await uploadOk(t, 'sh', { file: logisticBinaryClassifier({ weights: [0.125, -0.25, 0.5], bias: 0, featureNames: ['c', 'b', 'a'] }), metadata: { online_features: block } });
    const traffic = await t.http.put('/api/v1/models/sh/traffic').set(t.admin).send({ routes: [{ version: 1, weight: 100, name: 'main' }], shadow: [2] });
    expect(traffic.status, JSON.stringify(traffic.body)).toBe(200);
    await eventually(async () => (await predict('sh', [{ eid: 'e-1', b: 1, c: 1 }])).statusCode === 200, 30_000, 100);
    const shadowRows = async () => {
      await t.app.get(LiveSketches).flush();
      const r = await withClient(db.url, (c) => c.query(`SELECT coalesce(sum(rows), 0)::int AS n FROM window_sketches WHERE model_name = 'sh' AND variant = 'shadow'`));
      return r.rows[0].n as number;
    };
    const before = (await eventually(async () => ((await shadowRows()) >= 1 ? shadowRows() : undefined), 10_000, 100))!;
    const res = await inject(t, 'POST', '/v2/models/sh/infer', {
      inputs: [
        { name: 'eid', datatype: 'BYTES', shape: [2], data: ['e-1', 'e-1'] },
        { name: 'b', datatype: 'FP32', shape: [2, 1], data: [1, 1] },
        { name: 'c', datatype: 'FP32', shape: [2, 1], data: [1, 1] },
      ],
    });
    expect(res.statusCode, res.body).toBe(200);
    await eventually(async () => (await shadowRows()) === before + 2, 10_000, 100);
  });

  it('records the served values with their source and age, and the live drift sketches see a looked-up feature', async () => {
    await t.http
      .put('/api/v1/feature-views/tumour_profile/rows')
      .set(t.admin)
      .send({ rows: [{ patient_id: 'p-big', mean_radius: 1000, mean_texture: full(3).mean_texture, mean_area: full(3).mean_area, event_time: new Date().toISOString() }] })
      .expect(200);
    const res = await predict('tumour', [keyed(3, 'p-big')]);
    expect(res.statusCode, res.body).toBe(200);
    const id = res.json().predictions[0].prediction_id;
    await t.app.get(PredictionRecorder).flush();
    const stored = await eventually(async () => {
      const r = await withClient(db.url, (c) => c.query(`SELECT inputs FROM predictions WHERE id = $1`, [id]));
      return r.rows[0]?.inputs;
    });
    expect(stored).toMatchObject({ patient_id: 'p-big', mean_radius: 1000, mean_texture: full(3).mean_texture, mean_smoothness: full(3).mean_smoothness });
    expect(stored._online_features.mean_radius).toMatchObject({ source: 'store' });
    expect(stored._online_features.mean_area.age_ms).toBeGreaterThanOrEqual(0);
    await t.app.get(LiveSketches).flush();
    const sketches = await withClient(db.url, (c) => c.query(`SELECT sketch FROM window_sketches WHERE model_name = 'tumour'`));
    const radius = sketches.rows.map((r) => r.sketch.features[0]).filter(Boolean);
    expect(radius.some((f) => f.sample?.includes(1000))).toBe(true);
  });

  // Redis: the server is stopped; PostgreSQL (the service's own database): the store's table is away.
  const storeDown = () => (redis ? redis.stop() : withClient(db.url, (c) => c.query('ALTER TABLE feature_rows RENAME TO feature_rows_away')));
  const storeBack = () => (redis ? redis.restart() : withClient(db.url, (c) => c.query('ALTER TABLE feature_rows_away RENAME TO feature_rows')));

  it('answers 503 FEATURE_STORE_UNAVAILABLE at once under fail when the store is down, and the default under default', async () => {
    await storeDown();
    try {
      const started = performance.now();
      const res = await predict('tumour', [keyed(0)]);
      const ms = performance.now() - started;
      expect(res.statusCode, res.body).toBe(503);
      expect(res.json().error).toMatchObject({ code: 'FEATURE_STORE_UNAVAILABLE', details: { feature: 'mean_radius', store: kind } });
      expect(ms).toBeLessThan(2_000);
      const err = (await grpcCall(client, 'ModelInfer', { model_name: 'tumour', inputs: grpcInputs(['p-0'], [0]) }).catch((e) => e)) as grpc.ServiceError;
      expect(err.code).toBe(grpc.status.UNAVAILABLE);
      expect(err.details).toMatch(/mean_radius/);
      const soft = await predict('tumour_soft', [keyed(0)], '?explain_features=true');
      expect(soft.statusCode, soft.body).toBe(200);
      expect(soft.json().predictions[0].features.mean_radius).toEqual({ value: 14, source: 'default', age_ms: null });
      const metrics = (await t.http.get('/metrics').set(t.admin)).text;
      expect(scrape(metrics, 'modelgate_feature_lookups_total{view="tumour_profile",outcome="error"}')).toBeGreaterThanOrEqual(3);
      // The store's failure is the service's: counted as the request's error (a caller's FEATURE_MISSING is not).
      expect(metrics).toMatch(/^modelgate_prediction_errors_total\{model="tumour",[^}]*protocol="v1",code="FEATURE_STORE_UNAVAILABLE"\} 1$/m);
      expect(metrics).toMatch(/^modelgate_prediction_errors_total\{model="tumour",[^}]*protocol="grpc",code="FEATURE_STORE_UNAVAILABLE"\} 1$/m);
      expect(metrics).not.toMatch(/^modelgate_prediction_errors_total\{[^}]*code="FEATURE_MISSING"\}/m);
    } finally {
      await storeBack();
    }
  });
});
