import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.factory.js';
import { loadConfig } from '../src/config/config.schema.js';
import { ADMIN_TOKEN, eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { fixtureBytes } from './support/registry.js';

describe('headers and logs around secrets', () => {
  let db: TestDatabase;
  let dataDir: string;
  let cacheDir: string;
  let app: NestFastifyApplication;
  let http: ReturnType<typeof supertest>;
  const lines: string[] = [];
  const admin = { Authorization: `Bearer ${ADMIN_TOKEN}` };

  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-sec-'));
    const config = loadConfig({ DATABASE_URL: db.url, MODELGATE_ADMIN_TOKEN: ADMIN_TOKEN, MODELGATE_DATA_DIR: dataDir, LOG_LEVEL: 'info', GRPC_PORT: '0' });
    // The real logger configuration, writing where the test can read every line.
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const logger = pino({ level: 'info', redact: { paths: ['req.headers.authorization'], censor: '[redacted]' } }, sink);
    app = await createApp(config, { logger });
    cacheDir = config.serving.cacheDir;
    http = supertest(app.getHttpServer());
    await eventually(async () => (await http.get('/health/ready')).status === 200, 60_000);
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('sends nosniff and a restrictive CSP on API answers, and a CSP that lets the docs page run on /docs', async () => {
    const api = await http.get('/health/live');
    expect(api.headers['x-content-type-options']).toBe('nosniff');
    expect(api.headers['content-security-policy']).toContain("default-src 'none'");
    const docs = await http.get('/docs/');
    expect(docs.status).toBe(200);
    expect(docs.headers['content-security-policy']).toContain("script-src 'self'");
    const err = await http.get('/no/such/route');
    expect(err.headers['x-content-type-options']).toBe('nosniff');
  });

  it('marks the answer carrying a new key secret no-store', async () => {
    const res = await http.post('/api/v1/keys').set(admin).send({ name: 'ci', scopes: ['predict'] });
    expect(res.status).toBe(201);
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('writes artifacts and the model cache readable by the service user only (files 0600, directories 0700)', async () => {
    await http.post('/api/v1/models').set(admin).send({ name: 'modes', task: 'binary_classification' }).expect(201);
    await http.post('/api/v1/models/modes/versions').set(admin).attach('file', fixtureBytes('breast_cancer_xgb.onnx'), 'm.onnx').expect(201);
    await http.put('/api/v1/models/modes/aliases/production').set(admin).send({ version: 1 }).expect(200);
    await eventually(async () => (await http.post('/v1/models/modes/predict').set(admin).send({ inputs: [new Array(30).fill(0.1)] })).status === 200, 30_000);
    const walk = async (dir: string): Promise<string[]> =>
      (await fs.readdir(dir, { withFileTypes: true })).flatMap((e) => [path.join(dir, e.name)]).concat(
        ...(await Promise.all((await fs.readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => walk(path.join(dir, e.name))))),
      );
    for (const root of [path.join(dataDir, 'artifacts'), cacheDir]) {
      const entries = await walk(root);
      expect(entries.some((e) => e.endsWith('.onnx'))).toBe(true);
      for (const e of entries) {
        const st = await fs.stat(e);
        expect(st.mode & 0o777, e).toBe(st.isDirectory() ? 0o700 : 0o600);
      }
    }
  });

  it('logs one request line at info per request, none for a prediction (a hot route), and one for a request no route matched', async () => {
    const linesOf = (probe: string) => lines.filter((l) => l.includes(`probe=${probe}`)).map((l) => JSON.parse(l));
    await http.get('/health/live?probe=live').expect(200);
    await http.head('/health/live?probe=head').expect(200);
    await http.get('/no/such/route?probe=unmatched').expect(404);
    await http.post('/v1/models/modes/predict?probe=hot').set(admin).send({ inputs: [new Array(30).fill(0.1)] }).expect(200);
    await http.post('/v1/models/no-such-model/predict?probe=hot-error').set(admin).send({ inputs: [[1]] }).expect(404);
    await eventually(() => linesOf('unmatched').length > 0);
    for (const [probe, method, status] of [['live', 'GET', 200], ['head', 'HEAD', 200], ['unmatched', 'GET', 404]] as const) {
      const found = linesOf(probe);
      expect(found, probe).toHaveLength(1);
      expect(found[0]).toMatchObject({ level: 30, msg: 'request completed', method, status });
    }
    expect(linesOf('hot')).toEqual([]);
    expect(linesOf('hot-error').filter((l) => l.msg === 'request completed')).toEqual([]);
  });

  it('never logs a key sent in a query string or a path', async () => {
    const created = await http.post('/api/v1/keys').set(admin).send({ name: 'leaky', scopes: ['predict'] });
    const key: string = created.body.key;
    const secret = key.split('_')[2];
    await http.get(`/api/v1/models?api_key=${key}`).set(admin);
    await http.get(`/api/v1/models?token=${encodeURIComponent(ADMIN_TOKEN)}`).set(admin);
    await http.get(`/api/v1/keys/${key}`).set(admin);
    await eventually(() => lines.some((l) => l.includes('/api/v1/keys/mgk_')));
    const all = lines.join('');
    expect(all).toContain('api_key=[redacted]');
    expect(all).not.toContain(secret);
    expect(all).not.toContain(ADMIN_TOKEN.split('_')[2]);
  });
});

describe('rate limits over HTTP', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({
      db,
      env: { MODELGATE_RATE_LIMIT_WRITE_PER_S: '0.01', MODELGATE_RATE_LIMIT_WRITE_BURST: '3', MODELGATE_RATE_LIMIT_AUTH_FAILURES_PER_S: '0.01', MODELGATE_RATE_LIMIT_AUTH_FAILURES_BURST: '5' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('answers registry writes past the budget 429 in the envelope with Retry-After, and counts them in /metrics', async () => {
    const statuses: number[] = [];
    let last: any;
    for (let i = 0; i < 5; i++) {
      last = await t.http.post('/api/v1/models').set(t.admin).send({ name: `m${i}`, task: 'regression' });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    expect(last.body.error.code).toBe('RATE_LIMITED');
    expect(Number(last.headers['retry-after'])).toBeGreaterThan(0);
    // Reads are not writes.
    expect((await t.http.get('/api/v1/models').set(t.admin)).status).toBe(200);
    const metrics = await t.http.get('/metrics');
    expect(metrics.text).toMatch(/modelgate_rate_limited_total\{budget="registry_write"\} 2/);
  });

  it('refuses the failures of an address that failed to authenticate too often, on Nest routes and the prediction route alike, never a key that verifies', async () => {
    const bad = { Authorization: 'Bearer mgk_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb' };
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await t.http.get('/api/v1/models').set(bad)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429]);
    const predict = await t.http.post('/v1/models/x/predict').set(bad).send({ inputs: [[1]] });
    expect(predict.status).toBe(429);
    expect(predict.body.error.details.budget).toBe('auth_failures');
    // The budget protects key look-ups: the admin token from the same address still passes.
    const valid = await t.http.post('/v1/models/x/predict').set(t.admin).send({ inputs: [[1]] });
    expect(valid.body.error.code).toBe('MODEL_NOT_FOUND');
  });
});
