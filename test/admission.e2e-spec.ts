import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateApiKey } from '../src/auth/api-key-format.js';
import { GrpcServer, loadProtos } from '../src/serving/grpc/grpc-server.js';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { failingClassifier, slowClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';

/**
 * One admission on every edge (PRODUCT.md "Admission"): the client address
 * is the socket's unless the socket is a trusted proxy, failed
 * authentications of an address meet one budget across REST and gRPC, a
 * key that verifies is never refused by that budget, and gRPC answers
 * statuses from the error's kind. Requests go through supertest and the
 * real grpc-js client, with the headers and metadata each sends.
 */

interface GrpcAnswer {
  code: number;
  modelgateCode?: string;
  body?: any;
}

function grpcClient(t: TestApp) {
  const protos = loadProtos();
  return new protos.inference.GRPCInferenceService(`127.0.0.1:${t.app.get(GrpcServer).port}`, grpc.credentials.createInsecure());
}

function grpcCall(client: any, method: string, request: object, metadata: Record<string, string> = {}): Promise<GrpcAnswer> {
  const md = new grpc.Metadata();
  for (const [k, v] of Object.entries(metadata)) md.set(k, v);
  return new Promise((resolve) =>
    client[method](request, md, (err: grpc.ServiceError | null, body: unknown) =>
      resolve(err ? { code: err.code, modelgateCode: err.metadata?.get('modelgate-code')[0] as string | undefined } : { code: grpc.status.OK, body }),
    ),
  );
}

const FEATURES = ['f0', 'f1', 'f2'];
const badKey = () => `Bearer ${generateApiKey().key}`;

async function createKey(t: TestApp, scopes: string[]): Promise<string> {
  return (await t.http.post('/api/v1/keys').set(t.admin).send({ name: `k ${scopes.join(' ')}`, scopes }).expect(201)).body.key;
}

describe('admission without trusted proxies (the default): X-Forwarded-For is not believed', () => {
  let db: TestDatabase;
  let t: TestApp;
  let client: any;
  let victim: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
    client = grpcClient(t);
    victim = await createKey(t, ['admin']);
    // The victim has used its key before the attack, as a real client would have.
    await t.http.get('/api/v1/models').set({ Authorization: `Bearer ${victim}`, 'X-Forwarded-For': '198.51.100.20' }).expect(200);
  });
  afterAll(async () => {
    client?.close();
    await t?.close();
    await db?.drop();
  });

  it('counts 300 bad keys, each with a new X-Forwarded-For, against the socket address: they meet the budget', async () => {
    const statuses: number[] = [];
    let refused: any;
    const started = Date.now();
    for (let i = 0; i < 300; i++) {
      const res = await t.http.get('/api/v1/models').set({ Authorization: badKey(), 'X-Forwarded-For': `203.0.${i >> 8}.${i & 255}` });
      statuses.push(res.status);
      if (res.status === 429) refused = res.body;
    }
    // The default budget: a burst of 100, then 10 a second. (On a loaded
    // machine the budget refills between slow requests, so the very last one
    // may be a 401 again: the counts, not the last answer, are the test.)
    const allowed = 100 + Math.ceil((10 * (Date.now() - started)) / 1000);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(allowed);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(300 - allowed);
    expect(statuses.filter((s) => s !== 401 && s !== 429)).toEqual([]);
    expect(refused?.error).toMatchObject({ code: 'RATE_LIMITED', details: { budget: 'auth_failures' } });
  });

  it('does not lock out a client whose forwarded address bad keys claim: its valid key still passes', async () => {
    for (let i = 0; i < 300; i++) await t.http.get('/api/v1/models').set({ Authorization: badKey(), 'X-Forwarded-For': '198.51.100.20' });
    const res = await t.http.get('/api/v1/models').set({ Authorization: `Bearer ${victim}`, 'X-Forwarded-For': '198.51.100.20' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const predict = await t.http.post('/v1/models/nope/predict').set({ Authorization: `Bearer ${victim}`, 'X-Forwarded-For': '198.51.100.20' }).send({ inputs: [[1]] });
    expect(predict.body.error.code).toBe('MODEL_NOT_FOUND');
  });

  it('counts failed gRPC authentications against the same address budget as REST, and still admits a valid key over gRPC', async () => {
    // The budget refills 10 a second: of 30 calls at once, a few may find a token, most do not.
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => grpcCall(client, 'ServerMetadata', {}, { authorization: badKey(), 'x-forwarded-for': `192.0.2.${i}` })));
    const refilled = 1 + Math.ceil((10 * (Date.now() - started)) / 1000);
    expect(answers.filter((a) => a.code === grpc.status.UNAUTHENTICATED).length).toBeLessThanOrEqual(refilled);
    expect(answers.every((a) => a.code === grpc.status.UNAUTHENTICATED || a.code === grpc.status.RESOURCE_EXHAUSTED)).toBe(true);
    expect(answers.find((a) => a.code === grpc.status.RESOURCE_EXHAUSTED)?.modelgateCode).toBe('RATE_LIMITED');
    expect((await grpcCall(client, 'ServerMetadata', {}, { authorization: `Bearer ${victim}` })).code).toBe(grpc.status.OK);
  });

  it('records the socket address, not the claimed one, in the audit trail', async () => {
    await t.http.post('/api/v1/models').set({ ...t.admin, 'X-Forwarded-For': '198.51.100.77' }).send({ name: 'audited', task: 'regression' }).expect(201);
    const rows = (await t.http.get('/api/v1/audit').set(t.admin).expect(200)).body.entries as { address: string; path: string }[];
    const row = rows.find((r) => r.path === '/api/v1/models');
    expect(row?.address).toMatch(/127\.0\.0\.1$/);
  });
});

describe('admission behind a trusted proxy (MODELGATE_TRUSTED_PROXIES)', () => {
  let db: TestDatabase;
  let t: TestApp;
  let client: any;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({
      db,
      // The test client plays the ingress: it connects from loopback and names the client.
      env: { MODELGATE_TRUSTED_PROXIES: '127.0.0.1,::1', MODELGATE_RATE_LIMIT_AUTH_FAILURES_PER_S: '0.01', MODELGATE_RATE_LIMIT_AUTH_FAILURES_BURST: '5' },
    });
    client = grpcClient(t);
  });
  afterAll(async () => {
    client?.close();
    await t?.close();
    await db?.drop();
  });

  it('counts failures against the right-most forwarded address that is not a trusted proxy', async () => {
    const bad = badKey();
    const from = async (xff: string) => (await t.http.get('/api/v1/models').set({ Authorization: bad, 'X-Forwarded-For': xff })).status;
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push(await from('203.0.113.1'));
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    expect(await from('203.0.113.2')).toBe(401);
    // A client cannot pick its address by sending its own X-Forwarded-For: the proxy appends the one it saw.
    expect(await from('203.0.113.2, 203.0.113.1')).toBe(429);
    expect(await from('203.0.113.1, 203.0.113.2')).toBe(401);
    // Without the header the proxy itself is the client.
    expect((await t.http.get('/api/v1/models').set({ Authorization: bad })).status).toBe(401);
  });

  it('counts gRPC failures against the address a trusted peer forwards, in the budget REST uses', async () => {
    const bad = { authorization: badKey(), 'x-forwarded-for': '203.0.113.9' };
    const codes = [];
    for (let i = 0; i < 6; i++) codes.push((await grpcCall(client, 'ModelInfer', { model_name: 'm' }, bad)).code);
    expect(codes).toEqual([...Array(5).fill(grpc.status.UNAUTHENTICATED), grpc.status.RESOURCE_EXHAUSTED]);
    expect((await t.http.get('/api/v1/models').set({ Authorization: badKey(), 'X-Forwarded-For': '203.0.113.9' })).status).toBe(429);
    expect((await grpcCall(client, 'ModelInfer', { model_name: 'm' }, { ...bad, 'x-forwarded-for': '203.0.113.10' })).code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it('still admits a key that verified before from an address past its budget, on REST and gRPC', async () => {
    const key = await createKey(t, ['registry:read', 'predict']);
    const as = { Authorization: `Bearer ${key}`, 'X-Forwarded-For': '203.0.113.30' };
    await t.http.get('/api/v1/models').set(as).expect(200);
    for (let i = 0; i < 8; i++) await t.http.get('/api/v1/models').set({ Authorization: badKey(), 'X-Forwarded-For': '203.0.113.30' });
    expect((await t.http.get('/api/v1/models').set({ Authorization: badKey(), 'X-Forwarded-For': '203.0.113.30' })).status).toBe(429);
    await t.http.get('/api/v1/models').set(as).expect(200);
    const meta = await grpcCall(client, 'ServerMetadata', {}, { authorization: `Bearer ${key}`, 'x-forwarded-for': '203.0.113.30' });
    expect(meta.code).toBe(grpc.status.OK);
  });

  it('past the budget, looks up a key it never held once a minute for that address', async () => {
    const bad = badKey();
    for (let i = 0; i < 6; i++) await t.http.get('/api/v1/models').set({ Authorization: bad, 'X-Forwarded-For': '203.0.113.40' });
    const first = await createKey(t, ['registry:read']);
    const second = await createKey(t, ['registry:read']);
    expect((await t.http.get('/api/v1/models').set({ Authorization: `Bearer ${first}`, 'X-Forwarded-For': '203.0.113.40' })).status).toBe(200);
    const held = await t.http.get('/api/v1/models').set({ Authorization: `Bearer ${second}`, 'X-Forwarded-For': '203.0.113.40' });
    expect(held.status).toBe(429);
    expect(held.body.error.details.budget).toBe('auth_failures');
    // The same key from an address within its budget is looked up at once.
    await t.http.get('/api/v1/models').set({ Authorization: `Bearer ${second}`, 'X-Forwarded-For': '203.0.113.41' }).expect(200);
  });

  it('records the forwarded client address in the audit trail', async () => {
    await t.http.post('/api/v1/models').set({ ...t.admin, 'X-Forwarded-For': '198.51.100.77' }).send({ name: 'audited', task: 'regression' }).expect(201);
    const rows = (await t.http.get('/api/v1/audit').set(t.admin).expect(200)).body.entries as { address: string; path: string }[];
    expect(rows.find((r) => r.path === '/api/v1/models')?.address).toBe('198.51.100.77');
  });
});

describe('gRPC statuses from the error kind', () => {
  let db: TestDatabase;
  let t: TestApp;
  let client: any;
  const admin = () => ({ authorization: t.admin.Authorization });
  /** `n` rows of the three-feature models; feature 0 sets how slow (or whether it fails). */
  const infer = (model: string, f0: number, n = 1, version = '1') => ({
    model_name: model,
    model_version: version,
    inputs: [{ name: 'input', datatype: 'FP32', shape: [n, 3], contents: { fp32_contents: Array.from({ length: n }, () => [f0, 2, 3]).flat() } }],
  });

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({
      db,
      env: {
        MODELGATE_BATCH_QUEUE_ROWS: '2',
        MODELGATE_BATCH_MAX_SIZE: '2',
        MODELGATE_MAX_REQUEST_ROWS: '4',
        MODELGATE_CIRCUIT_FAILURES: '1000',
        MODELGATE_TELEMETRY_QUEUE_SIZE: '0',
        MODELGATE_DEFAULT_TIMEOUT_MS: '60000',
      },
    });
    await createModel(t, 'slow');
    await uploadOk(t, 'slow', { file: slowClassifier({ featureNames: FEATURES }) });
    await setAlias(t, 'slow', 'production', 1);
    await createModel(t, 'failing');
    await uploadOk(t, 'failing', { file: failingClassifier({ featureNames: FEATURES }) });
    await setAlias(t, 'failing', 'production', 1);
    client = grpcClient(t);
  });
  afterAll(async () => {
    client?.close();
    await t?.close();
    await db?.drop();
  });

  it('answers a shed request (OVERLOADED) RESOURCE_EXHAUSTED, not UNAVAILABLE', async () => {
    // Two rows fill a batch, which starts at once; two more fill the queue; the rest are shed.
    const answers = await Promise.all([infer('slow', 300_000, 2), ...Array.from({ length: 8 }, () => infer('slow', 300_000))].map((r) => grpcCall(client, 'ModelInfer', r, admin())));
    const shed = answers.filter((a) => a.code !== grpc.status.OK);
    expect(shed.length).toBeGreaterThanOrEqual(4);
    for (const a of shed) expect(a).toMatchObject({ code: grpc.status.RESOURCE_EXHAUSTED, modelgateCode: 'OVERLOADED' });
  });

  it('answers TOO_MANY_ROWS INVALID_ARGUMENT, not RESOURCE_EXHAUSTED', async () => {
    expect(await grpcCall(client, 'ModelInfer', infer('slow', 0, 5), admin())).toMatchObject({ code: grpc.status.INVALID_ARGUMENT, modelgateCode: 'TOO_MANY_ROWS' });
  });

  it('answers a version that fails to run NO_VERSION_AVAILABLE as UNAVAILABLE, and an unknown model NOT_FOUND', async () => {
    expect(await grpcCall(client, 'ModelInfer', infer('failing', 5000, 1, ''), admin())).toMatchObject({ code: grpc.status.UNAVAILABLE, modelgateCode: 'NO_VERSION_AVAILABLE' });
    expect(await grpcCall(client, 'ModelInfer', infer('nope', 0), admin())).toMatchObject({ code: grpc.status.NOT_FOUND, modelgateCode: 'MODEL_NOT_FOUND' });
  });
});
