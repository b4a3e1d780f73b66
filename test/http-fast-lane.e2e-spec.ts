import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastLaneOf } from '../src/app.factory.js';
import { EdgeAdmissionHook } from '../src/serving/edge-admission.hook.js';
import { ADMIN_TOKEN, eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { rawRequest, type RawResponse } from './support/raw-http.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';
import { type ClientInput, tritonInferBody } from './support/v2-wire.js';

/**
 * The fast lane (src/serving/fast-lane.ts) must answer the /v1 predict and
 * V2 infer routes exactly as Fastify does. The same app boots twice, lane on and off, and every request below
 * goes to both over real sockets: status, headers and body must match but
 * for the date, generated ids and their lengths.
 */

const FEATURES = ['f0', 'f1', 'f2'];
const MAX_BODY = 2048;
const MAX_ROWS = 4;
const row = { f0: 1, f1: 2, f2: 3 };
/** The models' one V2 input: FP32 [N, 3]. */
const input3 = { name: 'input', shape: [2, 3], datatype: 'FP32', data: [1, 2, 3, -1, 2, 3] };

interface Side {
  db: TestDatabase;
  t: TestApp;
  port: number;
  keys: Record<'predict' | 'reader' | 'other', string>;
}

async function boot(fast: boolean): Promise<Side> {
  const db = await createTestDatabase();
  const t = await startTestApp({
    db,
    env: {
      MODELGATE_HTTP_FAST_PATH: String(fast),
      MODELGATE_MAX_BODY_BYTES: String(MAX_BODY),
      MODELGATE_MAX_REQUEST_ROWS: String(MAX_ROWS),
      // One slot: a request holding it (its body not yet sent) makes the next one shed, deterministically.
      MODELGATE_MAX_IN_FLIGHT: '1',
      MODELGATE_MAX_EVENT_LOOP_DELAY_MS: '0',
      MODELGATE_TELEMETRY_QUEUE_SIZE: '0',
    },
  });
  await t.app.listen(0, '127.0.0.1');
  const port = (t.app.getHttpServer().address() as AddressInfo).port;
  for (const name of ['fast', 'other']) {
    await createModel(t, name);
    await uploadOk(t, name, { file: logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias: 0, featureNames: FEATURES }) });
    await setAlias(t, name, 'production', 1);
    await setAlias(t, name, 'stable', 1);
  }
  // Two versions split by a sticky key read from the body (top level or V2 `parameters`).
  await createModel(t, 'sticky');
  for (const v of [1, 2]) await uploadOk(t, 'sticky', { file: logisticBinaryClassifier({ weights: [0.5 * v, -0.25, 0.125], bias: 0, featureNames: FEATURES }) });
  await setAlias(t, 'sticky', 'production', 1);
  await t.http.put('/api/v1/models/sticky/traffic').set(t.admin).send({ routes: [{ version: 1, weight: 50 }, { version: 2, weight: 50 }], sticky: 'field:customer' }).expect(200);
  const stickyInfer = (customer: string) => t.http.post('/v2/models/sticky/infer').set(t.admin).send({ parameters: { customer }, inputs: [input3] });
  // One at a time: a single in-flight slot (below) sheds concurrent calls.
  await eventually(async () => {
    for (const c of ['c-1', 'c-2', 'c-3', 'c-4']) if ((await stickyInfer(c)).status !== 200) return false;
    return true;
  }, 30_000);
  const key = async (scopes: string[], extra: Record<string, unknown> = {}) =>
    (await t.http.post('/api/v1/keys').set(t.admin).send({ name: `k ${scopes.join(' ')}`, scopes, ...extra }).expect(201)).body.key as string;
  const keys = { predict: await key(['predict']), reader: await key(['registry:read']), other: await key(['predict'], { models: ['other'] }) };
  return { db, t, port, keys };
}

type Auth = 'admin' | keyof Side['keys'] | 'none' | 'bogus';
interface Case {
  name: string;
  method?: string;
  path: string;
  auth?: Auth;
  /** Header lines beyond Host and the key; Content-Type defaults to application/json. */
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** Sends the body chunked instead of with a Content-Length. */
  chunked?: boolean;
  /** Served by the lane (else it must fall through to Fastify). */
  fast?: boolean;
  /** The status both must answer, where it says the case tests what it claims. */
  status?: number;
}

function bytes(side: Side, c: Case): Buffer {
  const token = c.auth === 'none' ? undefined : c.auth === 'bogus' ? 'mgk_bogus_0123456789abcdefghijklmnopqrstuvwxyz' : c.auth === undefined || c.auth === 'admin' ? ADMIN_TOKEN : side.keys[c.auth];
  const headers: Record<string, string> = { host: '127.0.0.1', 'content-type': 'application/json', ...c.headers };
  if (token) headers.authorization = `Bearer ${token}`;
  const body = c.body ?? '';
  if (c.chunked) headers['transfer-encoding'] = 'chunked';
  else if (headers['content-length'] === undefined && (c.method ?? 'POST') === 'POST') headers['content-length'] = String(Buffer.byteLength(body));
  for (const k of Object.keys(headers)) if (headers[k] === '') delete headers[k];
  const head = `${c.method ?? 'POST'} ${c.path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  if (!c.chunked) return Buffer.concat([Buffer.from(head), Buffer.from(body)]);
  return Buffer.concat([Buffer.from(`${head}${Buffer.byteLength(body).toString(16)}\r\n`), Buffer.from(body), Buffer.from('\r\n0\r\n\r\n')]);
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** What may differ: the date, and generated ids (prediction ids, request ids), not their length; the body is compared byte for byte (latin1). */
function comparable(r: RawResponse): { status: number; headers: Record<string, string | undefined>; body: string } {
  const { date, ...headers } = r.headers;
  expect(date).toBeDefined();
  return { status: r.status, headers: { ...headers, 'x-request-id': headers['x-request-id']?.replace(UUID, '<uuid>') }, body: r.raw.toString('latin1').replace(UUID, '<uuid>') };
}

const json = (v: unknown) => JSON.stringify(v);
const good = json({ instances: [row, { ...row, f0: -1 }] });

const CASES: Case[] = [
  { name: 'routed, instances', path: '/v1/models/fast/predict', body: good, fast: true },
  { name: 'pinned version, inputs, with a charset', path: '/v1/models/fast/versions/1/predict', headers: { 'content-type': 'application/json; charset=utf-8' }, body: json({ inputs: [[1, 2, 3]] }), fast: true },
  { name: 'alias', path: '/v1/models/fast/aliases/stable/predict', body: good, fast: true },
  { name: 'a predict key', path: '/v1/models/fast/predict', auth: 'predict', body: good, fast: true },
  { name: "the caller's request id", path: '/v1/models/fast/predict', headers: { 'x-request-id': 'caller-id-42' }, body: good, fast: true },
  { name: 'explain_features=true', path: '/v1/models/fast/predict?explain_features=true', body: good, fast: true },
  { name: 'explain_features=1 with inputs', path: '/v1/models/fast/versions/1/predict?explain_features=1', body: json({ inputs: [[1, 2, 3]] }), fast: true },
  { name: 'explain_features=false', path: '/v1/models/fast/predict?explain_features=false', body: good, fast: true },
  { name: 'a sticky key beside the rows', path: '/v1/models/fast/predict', body: json({ instances: [row], user: 'u1' }), fast: true },
  { name: 'bad JSON', path: '/v1/models/fast/predict', body: '{"instances": [', fast: true },
  { name: '__proto__', path: '/v1/models/fast/predict', body: '{"__proto__": {"x": 1}, "instances": [{"f0": 1, "f1": 2, "f2": 3}]}', fast: true },
  { name: 'escaped __proto__', path: '/v1/models/fast/predict', body: '{"\\u005f_proto__": {"x": 1}, "instances": []}', fast: true },
  { name: 'constructor.prototype', path: '/v1/models/fast/predict', body: '{"constructor": {"prototype": {"x": 1}}, "instances": []}', fast: true },
  { name: 'a body that is an array', path: '/v1/models/fast/predict', body: '[1, 2]', fast: true },
  { name: 'a body that is null', path: '/v1/models/fast/predict', body: 'null', fast: true },
  { name: 'instances and inputs both', path: '/v1/models/fast/predict', body: json({ instances: [row], inputs: [[1, 2, 3]] }), fast: true },
  { name: 'neither instances nor inputs', path: '/v1/models/fast/predict', body: json({ rows: [] }), fast: true },
  { name: 'instances not an array', path: '/v1/models/fast/predict', body: json({ instances: row }), fast: true },
  { name: 'too many rows', path: '/v1/models/fast/predict', body: json({ instances: Array(MAX_ROWS + 1).fill(row) }), fast: true },
  { name: 'a missing feature', path: '/v1/models/fast/predict', body: json({ instances: [{ f0: 1 }] }), fast: true },
  { name: 'a row too short', path: '/v1/models/fast/predict', body: json({ inputs: [[1]] }), fast: true },
  { name: 'no key', path: '/v1/models/fast/predict', auth: 'none', body: good, fast: true },
  { name: 'an unknown key', path: '/v1/models/fast/predict', auth: 'bogus', body: good, fast: true },
  { name: 'a key without the predict scope', path: '/v1/models/fast/predict', auth: 'reader', body: good, fast: true },
  { name: 'a key limited to another model', path: '/v1/models/fast/predict', auth: 'other', body: good, fast: true },
  { name: 'a key limited to this model', path: '/v1/models/other/aliases/production/predict', auth: 'other', body: good, fast: true },
  { name: 'an unknown model', path: '/v1/models/nope/predict', body: good, fast: true },
  { name: 'an unknown alias', path: '/v1/models/fast/aliases/nope/predict', body: good, fast: true },
  { name: 'an unknown version', path: '/v1/models/fast/versions/99/predict', body: good, fast: true },
  { name: 'a version that is not a number', path: '/v1/models/fast/versions/abc/predict', body: good, fast: true },
  // Not the common case: Fastify answers these on both sides.
  { name: 'an empty body', path: '/v1/models/fast/predict', body: '' },
  { name: 'text/plain', path: '/v1/models/fast/predict', headers: { 'content-type': 'text/plain' }, body: good },
  { name: 'no content type', path: '/v1/models/fast/predict', headers: { 'content-type': '' }, body: good },
  { name: 'JSON in capitals', path: '/v1/models/fast/predict', headers: { 'content-type': 'Application/JSON' }, body: good },
  { name: 'JSON in latin-1', path: '/v1/models/fast/predict', headers: { 'content-type': 'application/json; charset=latin1' }, body: good },
  { name: 'a body over the limit', path: '/v1/models/fast/predict', body: json({ instances: Array(200).fill(row) }) },
  { name: 'a chunked body', path: '/v1/models/fast/predict', body: good, chunked: true },
  { name: 'another query', path: '/v1/models/fast/predict?x=1', body: good },
  { name: 'explain_features twice', path: '/v1/models/fast/predict?explain_features=true&explain_features=1', body: good },
  { name: 'an encoded name', path: '/v1/models/f%61st/predict', body: good },
  { name: 'a trailing slash', path: '/v1/models/fast/predict/', body: good },
  { name: 'a bad encoding', path: '/v1/models/f%zzst/predict', body: good },
  { name: 'GET on the predict path', method: 'GET', path: '/v1/models/fast/predict' },
  { name: 'PUT on the predict path', method: 'PUT', path: '/v1/models/fast/predict', headers: { 'content-length': String(good.length) }, body: good },
  { name: 'health', method: 'GET', path: '/health/live' },
  { name: 'an unknown model in the registry', method: 'GET', path: '/api/v1/models/nope' },
];

const tensor = (binary: boolean): ClientInput => ({ name: 'input', shape: [2, 3], datatype: 'FP32', values: Float32Array.from(input3.data), binary });
/** tritonclient.http (geventhttpclient): no Content-Type; binary inputs after the JSON header. */
const RAW = (headerLength?: number) => ({ 'content-type': '', ...(headerLength !== undefined ? { 'inference-header-content-length': String(headerLength) } : {}) });
const OCTETS = { 'content-type': 'application/octet-stream' };
// Every output binary (parameters.binary_data_output), as InferInput.set_data_from_numpy(binary_data=True) and no outputs named.
const triton = tritonInferBody([tensor(true)], { requestId: 'r-1' });
// Outputs named, each with its own binary_data.
const named = tritonInferBody([tensor(true)], { outputs: [{ name: 'probabilities', binary: true }, { name: 'label', binary: false }] });
const jsonOnly = tritonInferBody([tensor(false)], { outputs: [{ name: 'probabilities', binary: false }] });
const v2 = (extra: Record<string, unknown> = {}) => json({ inputs: [input3], ...extra });
const INFER = '/v2/models/fast/infer';

const V2_CASES: Case[] = [
  { name: 'V2 JSON, routed', path: INFER, body: v2(), fast: true, status: 200 },
  { name: 'V2 JSON, pinned version, with a charset and an id', path: '/v2/models/fast/versions/1/infer', headers: { 'content-type': 'application/json; charset=utf-8' }, body: v2({ id: 'q-7' }), fast: true, status: 200 },
  { name: 'V2 tritonclient binary: no content type, binary input and outputs', path: INFER, headers: RAW(triton.jsonSize), body: triton.body, fast: true, status: 200 },
  { name: 'V2 binary as octet-stream, pinned, per-output binary_data', path: '/v2/models/fast/versions/1/infer', headers: { ...OCTETS, 'inference-header-content-length': String(named.jsonSize) }, body: named.body, fast: true, status: 200 },
  { name: 'V2 JSON without a content type (tritonclient, binary_data off)', path: INFER, headers: RAW(), body: jsonOnly.body, fast: true, status: 200 },
  { name: 'V2 classification of an output', path: INFER, body: v2({ outputs: [{ name: 'probabilities', parameters: { classification: 1 } }] }), fast: true, status: 200 },
  { name: 'V2 explain_features', path: INFER, body: v2({ parameters: { explain_features: true } }), fast: true, status: 200 },
  { name: 'V2 explain_features not a flag', path: INFER, body: v2({ parameters: { explain_features: 'maybe' } }), fast: true, status: 400 },
  { name: 'V2 sticky key in parameters', path: '/v2/models/sticky/infer', body: v2({ parameters: { customer: 'c-1' } }), fast: true, status: 200 },
  { name: 'V2 sticky key at the top level', path: '/v2/models/sticky/infer', body: v2({ customer: 'c-2' }), fast: true, status: 200 },
  { name: 'V2 a query string', path: `${INFER}?trace=1&x=y`, body: v2(), fast: true, status: 200 },
  { name: 'V2 the wrong datatype', path: INFER, body: json({ inputs: [{ ...input3, datatype: 'BYTES' }] }), fast: true, status: 400 },
  { name: 'V2 the wrong shape', path: INFER, body: json({ inputs: [{ ...input3, shape: [2, 4] }] }), fast: true, status: 400 },
  { name: 'V2 inputs missing', path: INFER, body: json({ id: 'x' }), fast: true, status: 400 },
  { name: 'V2 inputs not an array', path: INFER, body: json({ inputs: 'input' }), fast: true, status: 400 },
  { name: 'V2 an unknown input', path: INFER, body: json({ inputs: [{ ...input3, name: 'x' }] }), fast: true, status: 400 },
  { name: 'V2 an unknown output', path: INFER, body: v2({ outputs: [{ name: 'nope' }] }), fast: true, status: 400 },
  { name: 'V2 invalid JSON', path: INFER, body: '{"inputs": [', fast: true, status: 400 },
  { name: 'V2 __proto__', path: INFER, body: '{"__proto__": {"x": 1}, "inputs": []}', fast: true, status: 400 },
  { name: 'V2 invalid JSON header before binary data', path: INFER, headers: RAW(12), body: Buffer.concat([Buffer.from('{"inputs": ['), Buffer.alloc(24)]), fast: true, status: 400 },
  { name: 'V2 header length larger than the body', path: INFER, headers: RAW(triton.body.length + 1), body: triton.body, fast: true, status: 400 },
  { name: 'V2 binary data no input claims', path: INFER, headers: RAW(triton.jsonSize), body: Buffer.concat([triton.body, Buffer.alloc(4)]), fast: true, status: 400 },
  { name: 'V2 a header length with a JSON body', path: INFER, headers: { 'inference-header-content-length': '5' }, body: v2(), fast: true, status: 200 },
  { name: 'V2 an unknown model', path: '/v2/models/nope/infer', body: v2(), fast: true, status: 404 },
  { name: 'V2 an unknown version', path: '/v2/models/fast/versions/99/infer', body: v2(), fast: true },
  { name: 'V2 a version that is not a number', path: '/v2/models/fast/versions/abc/infer', body: v2(), fast: true },
  { name: 'V2 no key', path: INFER, auth: 'none', headers: RAW(triton.jsonSize), body: triton.body, fast: true, status: 401 },
  { name: 'V2 an unknown key', path: INFER, auth: 'bogus', body: v2(), fast: true, status: 401 },
  { name: 'V2 a key without the predict scope', path: INFER, auth: 'reader', body: v2(), fast: true, status: 403 },
  { name: 'V2 a key limited to another model', path: INFER, auth: 'other', headers: RAW(triton.jsonSize), body: triton.body, fast: true, status: 403 },
  { name: 'V2 a predict key', path: INFER, auth: 'predict', body: v2(), fast: true, status: 200 },
  // Not the common case: Fastify answers these on both sides.
  { name: 'V2 binary over the body limit', path: INFER, headers: RAW(triton.jsonSize), body: Buffer.concat([triton.body, Buffer.alloc(MAX_BODY)]), status: 413 },
  { name: 'V2 octet-stream with a parameter', path: INFER, headers: { 'content-type': 'application/octet-stream; x=1', 'inference-header-content-length': String(triton.jsonSize) }, body: triton.body, status: 200 },
  { name: 'V2 text/plain (Fastify reads it as a string)', path: INFER, headers: { 'content-type': 'text/plain' }, body: v2(), status: 400 },
  { name: 'V2 chunked binary', path: INFER, headers: RAW(triton.jsonSize), body: triton.body, chunked: true, status: 200 },
  { name: 'V2 an encoded query', path: `${INFER}?x=%41`, body: v2(), status: 200 },
  { name: 'V2 an encoded name', path: '/v2/models/f%61st/infer', body: v2(), status: 200 },
  { name: 'V2 model metadata', method: 'GET', path: '/v2/models/fast', status: 200 },
];

describe('the HTTP fast lane answers the /v1 predict and V2 infer routes exactly as Fastify does', () => {
  let on: Side;
  let off: Side;

  beforeAll(async () => {
    [on, off] = await Promise.all([boot(true), boot(false)]);
  }, 120_000);
  afterAll(async () => {
    for (const s of [on, off]) {
      await s?.t.close();
      await s?.db.drop();
    }
  });

  it('is on in one app and off in the other', () => {
    expect(fastLaneOf(on.t.app)).toBeDefined();
    expect(fastLaneOf(off.t.app)).toBeUndefined();
  });

  for (const c of [...CASES, ...V2_CASES]) {
    it(`${c.name}: same status, headers and body${c.fast ? ', served by the lane' : ', left to Fastify'}`, async () => {
      const lane = fastLaneOf(on.t.app)!;
      const before = lane.served;
      const a = await rawRequest(on.port, bytes(on, c));
      const servedByLane = lane.served - before;
      const b = await rawRequest(off.port, bytes(off, c));
      expect(comparable(a)).toEqual(comparable(b));
      expect(servedByLane).toBe(c.fast ? 1 : 0);
      if (c.status !== undefined) expect(a.status, a.body).toBe(c.status);
      if (c.headers?.['x-request-id']) expect(a.headers['x-request-id']).toBe(c.headers['x-request-id']);
    });
  }

  it('sheds past the in-flight limit as Fastify does, and gives the slot back when the holder hangs up', async () => {
    const answers: ReturnType<typeof comparable>[][] = [];
    for (const side of [on, off]) {
      // Admitted and holding the one slot: its body never completes.
      const holder = net.connect(side.port, '127.0.0.1');
      const partial = bytes(side, { name: 'hold', path: '/v1/models/fast/predict', body: good });
      await new Promise<void>((resolve) => holder.write(partial.slice(0, partial.length - 5), () => resolve()));
      const edge = side.t.app.get(EdgeAdmissionHook).admission;
      await eventually(() => edge.current === 1);
      const shed = await rawRequest(side.port, bytes(side, { name: 'shed', path: '/v1/models/fast/predict', body: good }));
      const shedV2 = await rawRequest(side.port, bytes(side, { name: 'shed v2', path: INFER, headers: RAW(triton.jsonSize), body: triton.body }));
      holder.destroy();
      await eventually(() => edge.current === 0);
      const after = await rawRequest(side.port, bytes(side, { name: 'after', path: '/v1/models/fast/predict', body: good }));
      const afterV2 = await rawRequest(side.port, bytes(side, { name: 'after v2', path: INFER, headers: RAW(triton.jsonSize), body: triton.body }));
      answers.push([comparable(shed), comparable(after), comparable(shedV2), comparable(afterV2)]);
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[0][0].headers['retry-after']).toBe('1');
    expect(JSON.parse(answers[0][0].body).error.code).toBe('OVERLOADED');
    expect(answers[0][2].status).toBe(503);
    expect(JSON.parse(answers[0][2].body)).toMatchObject({ error: expect.any(String), code: 'OVERLOADED' });
    expect(answers[0][3].status).toBe(200);
  });

  it('counts the same HTTP and shedding metrics on both', async () => {
    const series = async (s: Side) =>
      (await s.t.http.get('/metrics').expect(200)).text
        .split('\n')
        .filter((l) => (l.startsWith('modelgate_http_requests_total{') && (l.includes('/v1/models') || l.includes('/v2/models'))) || l.startsWith('modelgate_requests_shed_total{'))
        .sort();
    const [a, b] = [await series(on), await series(off)];
    expect(a.length).toBeGreaterThan(3);
    expect(a).toEqual(b);
  });
});
