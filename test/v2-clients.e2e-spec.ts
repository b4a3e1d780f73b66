import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { linearRegressor } from './support/onnx-builder.js';
import { readExpected, readFixtureCsv } from './support/onnx-fixtures.js';
import { createModel, fixture, setAlias, uploadOk } from './support/registry.js';
import { type ClientInput, decodeInferResult, kserveInferBody, rawRequest, tritonInferBody } from './support/v2-wire.js';

const BC = 'breast_cancer_xgb';
const AUTH = { Authorization: `Bearer ${ADMIN_TOKEN}` };
// What geventhttpclient (tritonclient.http) puts on every request: no Content-Type.
const GEVENT = { 'User-Agent': 'python/gevent-http-client-2.3.1', ...AUTH };
// aiohttp (tritonclient.http.aio) labels a bytes body application/octet-stream.
const AIOHTTP = { 'User-Agent': 'Python/3.11 aiohttp/3.9.5', 'Content-Type': 'application/octet-stream', ...AUTH };
const HTTPX = { 'User-Agent': 'python-httpx/0.27.0', ...AUTH };

describe('Open Inference Protocol clients, replayed byte for byte', () => {
  let db: TestDatabase;
  let t: TestApp;
  let base: string;
  const csv = readFixtureCsv(`${BC}.test.csv`);
  const expected = readExpected(`${BC}.expected.json`).p1;
  const rows = 8;
  const fp32 = Float32Array.from(csv.data.subarray(0, rows * 30));
  const input = (binary: boolean): ClientInput => ({ name: 'input', shape: [rows, 30], datatype: 'FP32', values: fp32, binary });
  const probabilitiesMatch = (p: unknown[]) => {
    for (let i = 0; i < rows; i++) expect(Math.abs((p[i * 2 + 1] as number) - expected[i])).toBeLessThan(1e-5);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_GRPC_ENABLED: 'false' } });
    await createModel(t, 'bc');
    await uploadOk(t, 'bc', { file: fixture(`${BC}.onnx`) });
    await uploadOk(t, 'bc', { file: fixture(`${BC}.onnx`) });
    await setAlias(t, 'bc', 'production', 1);
    await t.app.listen(0, '127.0.0.1');
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
    // Version 2 is not routed: a pinned call would answer LOADING while it loads, so load it ahead, as a Triton user would.
    const load = await rawRequest(base, 'POST', '/v2/repository/models/bc/load', GEVENT, Buffer.from('{"parameters": {"version": "2"}}'));
    expect(load.status, load.body.toString()).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  describe('tritonclient.http (geventhttpclient: no Content-Type)', () => {
    it('reads liveness, server metadata and model metadata', async () => {
      expect((await rawRequest(base, 'GET', '/v2/health/live', GEVENT)).status).toBe(200);
      const server = await rawRequest(base, 'GET', '/v2', GEVENT);
      expect(server.headers['content-type']).toBe('application/json');
      expect(JSON.parse(server.body.toString()).extensions).toEqual(expect.arrayContaining(['binary_tensor_data', 'classification']));
      const meta = JSON.parse((await rawRequest(base, 'GET', '/v2/models/bc', GEVENT)).body.toString());
      expect(meta).toMatchObject({ name: 'bc', inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 30] }] });
    });

    it('infers with a binary FP32 input and binary outputs, and the answer decodes as InferResult does', async () => {
      const { body, jsonSize } = tritonInferBody([input(true)], { requestId: 'r-1' });
      expect(jsonSize).toBeDefined();
      const res = await rawRequest(base, 'POST', '/v2/models/bc/infer', { ...GEVENT, 'Inference-Header-Content-Length': String(jsonSize) }, body);
      expect(res.status, res.body.toString()).toBe(200);
      expect(res.headers['content-type']).toBe('application/octet-stream');
      const r = decodeInferResult(res.headers['inference-header-content-length'] as string, res.body);
      expect(r.result).toMatchObject({ model_name: 'bc', model_version: '1', id: 'r-1' });
      probabilitiesMatch(r.asArray('probabilities')!);
      expect(r.asArray('label')!.map(Number)).toEqual(expected.slice(0, rows).map((p) => (p >= 0.5 ? 1 : 0)));
      const ids = r.result.parameters.prediction_ids;
      expect(typeof ids).toBe('string');
      expect(ids.split(',')).toHaveLength(rows);
      for (const v of Object.values(r.result.parameters)) expect(['string', 'number', 'boolean']).toContain(typeof v);
    });

    it('infers with JSON data when binary_data is off, answered as exactly application/json', async () => {
      const { body, jsonSize } = tritonInferBody([input(false)], { outputs: [{ name: 'probabilities', binary: false }] });
      expect(jsonSize).toBeUndefined();
      const res = await rawRequest(base, 'POST', '/v2/models/bc/versions/2/infer', GEVENT, body);
      expect(res.status, res.body.toString()).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      const r = decodeInferResult(undefined, res.body);
      expect(r.result.model_version).toBe('2');
      expect(r.result.outputs.map((o: any) => o.name)).toEqual(['probabilities']);
      probabilitiesMatch(r.asArray('probabilities')!);
    });

    it('answers the classification extension as BYTES "value:index", best first', async () => {
      const { body, jsonSize } = tritonInferBody([input(true)], { outputs: [{ name: 'probabilities', classCount: 1 }] });
      const res = await rawRequest(base, 'POST', '/v2/models/bc/infer', { ...GEVENT, 'Inference-Header-Content-Length': String(jsonSize) }, body);
      expect(res.status, res.body.toString()).toBe(200);
      const r = decodeInferResult(res.headers['inference-header-content-length'] as string, res.body);
      expect(r.result.outputs[0]).toMatchObject({ name: 'probabilities', datatype: 'BYTES', shape: [rows, 1] });
      const classes = r.asArray('probabilities') as string[];
      classes.forEach((c, i) => {
        const [value, index] = c.split(':');
        const p1 = expected[i];
        expect(Number(index)).toBe(p1 >= 0.5 ? 1 : 0);
        expect(Math.abs(Number(value) - Math.max(p1, 1 - p1))).toBeLessThan(1e-5);
      });
    });
  });

  it('tritonclient.http.aio (aiohttp: application/octet-stream) infers binary and JSON bodies alike', async () => {
    const bin = tritonInferBody([input(true)]);
    const a = await rawRequest(base, 'POST', '/v2/models/bc/infer', { ...AIOHTTP, 'Inference-Header-Content-Length': String(bin.jsonSize) }, bin.body);
    expect(a.status, a.body.toString()).toBe(200);
    probabilitiesMatch(decodeInferResult(a.headers['inference-header-content-length'] as string, a.body).asArray('probabilities')!);
    const json = tritonInferBody([input(false)]);
    const b = await rawRequest(base, 'POST', '/v2/models/bc/infer', AIOHTTP, json.body);
    expect(b.status, b.body.toString()).toBe(200);
    probabilitiesMatch(decodeInferResult(b.headers['inference-header-content-length'] as string, b.body).asArray('probabilities')!);
  });

  describe('KServe InferenceRESTClient (httpx)', () => {
    it('infers with a JSON body and with a binary one, and reads both as InferResponse.from_bytes does', async () => {
      const json = kserveInferBody('bc', 'k-1', [input(false)]);
      const a = await rawRequest(base, 'POST', '/v2/models/bc/infer', { ...HTTPX, 'content-type': 'application/json' }, json.body);
      expect(a.status, a.body.toString()).toBe(200);
      expect(a.headers['content-type']).toBe('application/json');
      probabilitiesMatch(decodeInferResult(String(a.headers['inference-header-content-length'] ?? a.body.length), a.body).asArray('probabilities')!);

      const bin = kserveInferBody('bc', 'k-2', [input(true)]);
      const headers = { ...HTTPX, 'inference-header-content-length': String(bin.jsonLength), 'content-type': 'application/octet-stream' };
      const b = await rawRequest(base, 'POST', '/v2/models/bc/infer', headers, bin.body);
      expect(b.status, b.body.toString()).toBe(200);
      const r = decodeInferResult(String(b.headers['inference-header-content-length'] ?? b.body.length), b.body);
      expect(r.result.id).toBe('k-2');
      probabilitiesMatch(r.asArray('probabilities')!);
    });

    it('gets an error message it can read: exactly application/json with {"error", "code"}', async () => {
      const res = await rawRequest(base, 'POST', '/v2/models/nope/infer', { ...HTTPX, 'content-type': 'application/json' }, kserveInferBody('nope', 'x', [input(false)]).body);
      expect(res.status).toBe(404);
      expect(res.headers['content-type']).toBe('application/json');
      expect(JSON.parse(res.body.toString())).toEqual({ error: expect.stringContaining('nope'), code: 'MODEL_NOT_FOUND' });
    });

    it('finds server metadata at /v2/ with the trailing slash its OpenAPI file writes', async () => {
      const res = await rawRequest(base, 'GET', '/v2/', HTTPX);
      expect(res.status).toBe(200);
      expect(JSON.parse(res.body.toString()).name).toBe('modelgate');
    });
  });

  describe('hostile inputs', () => {
    const post = (path: string, doc: unknown) => rawRequest(base, 'POST', path, { ...HTTPX, 'content-type': 'application/json' }, Buffer.from(JSON.stringify(doc)));
    const valid = { name: 'input', shape: [1, 30], datatype: 'FP32', data: Array.from(fp32.subarray(0, 30)) };

    it('refuses a null beside a valid input with 400, not 500', async () => {
      const res = await post('/v2/models/bc/infer', { inputs: [valid, null] });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body.toString()).code).toBe('VALIDATION_FAILED');
    });

    it.each(['toString', 'constructor', '__proto__'])('refuses an output named %s with 400 before anything runs', async (name) => {
      const res = await post('/v2/models/bc/infer', { inputs: [valid], outputs: [{ name }] });
      expect(res.status).toBe(400);
      expect(JSON.parse(res.body.toString()).code).toMatch(/VALIDATION_FAILED|MALFORMED_JSON/);
    });

    it('refuses an extra input the model does not have, and a binary size that overruns the body', async () => {
      const extra = await post('/v2/models/bc/infer', { inputs: [valid, { ...valid, name: 'bogus' }] });
      expect(extra.status).toBe(400);
      expect(JSON.parse(extra.body.toString()).error).toMatch(/bogus/);
      const head = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', parameters: { binary_data_size: 999 } }] }));
      const res = await rawRequest(base, 'POST', '/v2/models/bc/infer', { ...GEVENT, 'Inference-Header-Content-Length': String(head.length) }, Buffer.concat([head, Buffer.alloc(120)]));
      expect(res.status).toBe(400);
    });

    it('sends a multi-input (one input per feature) model through the shared path: row limit, telemetry metrics, and no bogus input', async () => {
      await createModel(t, 'cols', 'regression');
      await uploadOk(t, 'cols', { file: linearRegressor({ weights: [2, 3], bias: 1, featureNames: ['a', 'b'], layout: 'columns' }) });
      await setAlias(t, 'cols', 'production', 1);
      const col = (name: string, n: number, v: number) => ({ name, shape: [n, 1], datatype: 'FP32', data: Array(n).fill(v) });
      const ok = await post('/v2/models/cols/infer', { inputs: [col('a', 2, 1), col('b', 2, 2)] });
      expect(ok.status, ok.body.toString()).toBe(200);
      const answer = JSON.parse(ok.body.toString());
      expect(answer.outputs[0].data.map((x: number) => Math.round(x * 1e5) / 1e5)).toEqual([9, 9]);
      expect(answer.parameters.prediction_ids.split(',')).toHaveLength(2);
      for (const n of [10_001, 50_000]) {
        const big = await post('/v2/models/cols/infer', { inputs: [col('a', n, 1), col('b', n, 2)] });
        expect(big.status).toBe(413);
        expect(JSON.parse(big.body.toString()).code).toBe('TOO_MANY_ROWS');
      }
      const bogus = await post('/v2/models/cols/infer', { inputs: [col('a', 1, 1), col('b', 1, 2), col('c', 1, 3)] });
      expect(bogus.status).toBe(400);
      const metrics = (await t.http.get('/metrics')).text;
      expect(metrics).toMatch(/modelgate_prediction_requests_total\{[^}]*model="cols"[^}]*protocol="v2"[^}]*\} 1/);
    });
  });

  it('lists every ready version in model metadata and tells the truth about readiness', async () => {
    const meta = JSON.parse((await rawRequest(base, 'GET', '/v2/models/bc', HTTPX)).body.toString());
    expect(meta.versions).toEqual(['1', '2']);
    expect((await rawRequest(base, 'GET', '/v2/models/bc/ready', HTTPX)).status).toBe(200);
  });

  it('reads a field: sticky key from the JSON header of a binary body', async () => {
    const put = await t.http.put('/api/v1/models/bc/traffic').set(t.admin).send({ routes: [{ version: 1, weight: 50 }, { version: 2, weight: 50 }], sticky: 'field:user' });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const send = async (user: string) => {
      const raw = Buffer.from(fp32.buffer, 0, 30 * 4);
      const head = Buffer.from(JSON.stringify({ user, inputs: [{ name: 'input', shape: [1, 30], datatype: 'FP32', parameters: { binary_data_size: raw.length } }] }));
      const res = await rawRequest(base, 'POST', '/v2/models/bc/infer', { ...GEVENT, 'Inference-Header-Content-Length': String(head.length) }, Buffer.concat([head, raw]));
      expect(res.status, res.body.toString()).toBe(200);
      return JSON.parse(res.body.toString()).model_version as string;
    };
    const users = Array.from({ length: 24 }, (_, i) => `user-${i}`);
    const first = new Map<string, string>();
    // Polled until the new revision reaches the routing table: then both versions answer some users.
    await eventually(async () => {
      for (const u of users) first.set(u, await send(u));
      return new Set(first.values()).size === 2;
    });
    for (const u of users.slice(0, 8)) expect(await send(u)).toBe(first.get(u));
  });
});
