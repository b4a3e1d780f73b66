import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createModel, fixture, setAlias, uploadOk } from './support/registry.js';
import { rawRequest, tritonInferBody } from './support/v2-wire.js';
import { readFixtureCsv } from './support/onnx-fixtures.js';

const BC = 'breast_cancer_xgb';
// tritonclient.http over geventhttpclient: no Content-Type on any request.
const GEVENT = { 'User-Agent': 'python/gevent-http-client-2.3.1', Authorization: `Bearer ${ADMIN_TOKEN}` };
const json = (r: { body: Buffer }) => JSON.parse(r.body.toString());

describe('Open Inference Protocol extensions: model configuration, statistics, model repository', () => {
  let db: TestDatabase;
  let t: TestApp;
  let base: string;
  const csv = readFixtureCsv(`${BC}.test.csv`);

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_GRPC_ENABLED: 'false' } });
    await createModel(t, 'bc');
    for (let i = 0; i < 3; i++) await uploadOk(t, 'bc', { file: fixture(`${BC}.onnx`) });
    await setAlias(t, 'bc', 'production', 1);
    await t.app.listen(0, '127.0.0.1');
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('answers get_model_config in Triton shape: batched dims without the batch dimension, dynamic batching, every ready version', async () => {
    const res = await rawRequest(base, 'GET', '/v2/models/bc/config', GEVENT);
    expect(res.status, res.body.toString()).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const c = json(res);
    expect(c).toMatchObject({ name: 'bc', platform: 'onnxruntime_onnx', version_policy: { specific: { versions: ['1', '2', '3'] } } });
    expect(c.max_batch_size).toBeGreaterThan(0);
    expect(c.input).toEqual([{ name: 'input', data_type: 'TYPE_FP32', dims: [30] }]);
    expect(c.dynamic_batching.max_queue_delay_microseconds).toBeGreaterThanOrEqual(0);
    expect((await rawRequest(base, 'GET', '/v2/models/bc/versions/2/config', GEVENT)).status).toBe(200);
  });

  it('counts inferences per version in get_inference_statistics', async () => {
    const { body, jsonSize } = tritonInferBody([{ name: 'input', shape: [2, 30], datatype: 'FP32', values: Float32Array.from(csv.data.subarray(0, 60)), binary: true }]);
    for (let i = 0; i < 3; i++) {
      const r = await rawRequest(base, 'POST', '/v2/models/bc/infer', { ...GEVENT, 'Inference-Header-Content-Length': String(jsonSize) }, body);
      expect(r.status).toBe(200);
    }
    const stats = json(await rawRequest(base, 'GET', '/v2/models/bc/stats', GEVENT));
    const v1 = stats.model_stats.find((s: any) => s.version === '1');
    expect(v1.inference_stats.success.count).toBe(3);
    expect(v1.inference_stats.success.ns).toBeGreaterThan(0);
    expect(v1.inference_stats.compute_infer.count).toBeGreaterThanOrEqual(3);
    expect(v1.inference_count).toBeGreaterThanOrEqual(6);
    const one = json(await rawRequest(base, 'GET', '/v2/models/bc/versions/1/stats', GEVENT));
    expect(one.model_stats).toHaveLength(1);
    expect(json(await rawRequest(base, 'GET', '/v2/models/stats', GEVENT)).model_stats.some((s: any) => s.name === 'bc')).toBe(true);
  });

  it('loads a version ahead of traffic, reports it ready and in the index, keeps it until unloaded, and refuses to unload a routed one', async () => {
    expect((await rawRequest(base, 'GET', '/v2/models/bc/versions/3/ready', GEVENT)).status).toBe(400);
    // tritonclient.http.load_model sends json.dumps({}) plus our version parameter.
    const load = await rawRequest(base, 'POST', '/v2/repository/models/bc/load', GEVENT, Buffer.from('{"parameters": {"version": "3"}}'));
    expect(load.status, load.body.toString()).toBe(200);
    expect((await rawRequest(base, 'GET', '/v2/models/bc/versions/3/ready', GEVENT)).status).toBe(200);
    // get_model_repository_index posts an empty body.
    const index = json(await rawRequest(base, 'POST', '/v2/repository/index', GEVENT, Buffer.alloc(0)));
    expect(index).toEqual(expect.arrayContaining([{ name: 'bc', version: '1', state: 'READY', reason: '' }, { name: 'bc', version: '3', state: 'READY', reason: '' }]));

    const refused = await rawRequest(base, 'POST', '/v2/repository/models/bc/unload', GEVENT, Buffer.from('{"parameters": {"unload_dependents": false, "version": 1}}'));
    expect(refused.status).toBe(409);
    expect(json(refused)).toEqual({ error: expect.stringContaining('routed'), code: 'VERSION_ROUTED' });
    expect((await rawRequest(base, 'GET', '/v2/models/bc/versions/1/ready', GEVENT)).status).toBe(200);

    const unload = await rawRequest(base, 'POST', '/v2/repository/models/bc/unload', GEVENT, Buffer.from('{"parameters": {"unload_dependents": false, "version": 3}}'));
    expect(unload.status, unload.body.toString()).toBe(200);
    expect((await rawRequest(base, 'GET', '/v2/models/bc/versions/3/ready', GEVENT)).status).toBe(400);
  });

  it('needs registry:write for the repository routes', async () => {
    const key = await t.http.post('/api/v1/keys').set(t.admin).send({ name: 'p', scopes: ['predict'] });
    expect(key.status, JSON.stringify(key.body)).toBe(201);
    const res = await rawRequest(base, 'POST', '/v2/repository/index', { Authorization: `Bearer ${key.body.key}` }, Buffer.alloc(0));
    expect(res.status).toBe(403);
  });
});
