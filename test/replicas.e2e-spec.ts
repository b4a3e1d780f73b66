import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../src/database/embedded-postgres.runner.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';
import { startS3, type TestS3 } from './support/s3.js';

const FEATURES = ['f0', 'f1', 'f2'];
const model = (bias: number) => logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias, featureNames: FEATURES });
const row = { instances: [{ f0: 1, f2: 3, f1: 2 }] };

describe('several replicas on one database and one bucket', () => {
  let db: TestDatabase;
  let s3: TestS3;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    s3 = await startS3();
    // A long reconcile period: only NOTIFY can bring changes within a second.
    const env = { MODELGATE_RECONCILE_MS: '600000' };
    [a, b] = await Promise.all([startTestApp({ db, s3, env }), startTestApp({ db, s3, env })]);
    await createModel(a, 'shared');
    for (const bias of [0, 1]) await uploadOk(a, 'shared', { file: model(bias) });
    await setAlias(a, 'shared', 'production', 1);
    await eventually(async () => (await inject(b, 'POST', '/v1/models/shared/predict', row)).statusCode === 200);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await s3?.stop();
    await db?.drop();
  });

  it('brings a promotion made on one replica to the other within a second', async () => {
    await setAlias(a, 'shared', 'production', 2);
    const started = Date.now();
    await eventually(async () => (await inject(b, 'POST', '/v1/models/shared/predict', row)).json().version === 2, 1_000, 10);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('brings a traffic change and a rollback made on the other replica back within a second', async () => {
    await b.http.put('/api/v1/models/shared/traffic').set(b.admin).send({ routes: [{ version: 1, weight: 100 }] }).expect(200);
    await eventually(async () => (await inject(a, 'POST', '/v1/models/shared/predict', row)).json().version === 1, 1_000, 10);
    await a.http.post('/api/v1/models/shared/rollback').set(a.admin).send({}).expect(200);
    await eventually(async () => (await inject(b, 'POST', '/v1/models/shared/predict', row)).json().version === 2, 1_000, 10);
  });

  it('keeps one consistent history when both replicas change aliases concurrently', async () => {
    const moves = Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).http.put('/api/v1/models/shared/aliases/canary').set(a.admin).send({ version: (i % 2) + 1 }));
    const results = await Promise.all(moves);
    for (const r of results) expect(r.status).toBe(200);
    const h = await a.http.get('/api/v1/models/shared/history?limit=500').set(a.admin).expect(200);
    const revisions = h.body.revisions.map((r: any) => r.revision);
    expect(revisions).toEqual([...revisions].sort((x: number, y: number) => y - x));
    expect(new Set(revisions).size).toBe(revisions.length);
    expect(revisions[revisions.length - 1]).toBe(1);
    expect(revisions[0]).toBe(revisions.length);
    // Each revision starts where the one before it ended.
    const chrono = [...h.body.revisions].reverse();
    for (let i = 1; i < chrono.length; i++) expect(chrono[i].before).toEqual(chrono[i - 1].after);
  });
});

describe('a database outage', () => {
  let dir: string;
  let pg: EmbeddedPostgresHandle;
  let t: TestApp;

  beforeAll(async () => {
    // Its own server: the test stops it, never the one other suites share.
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-outage-'));
    await fs.chmod(dir, 0o755);
    pg = await startEmbeddedPostgres(path.join(dir, 'pg'), 'modelgate');
    t = await startTestApp({ db: { url: pg.url, name: 'modelgate', drop: async () => {} } });
    await createModel(t, 'steady');
    await uploadOk(t, 'steady', { file: model(0) });
    await setAlias(t, 'steady', 'production', 1);
  });
  afterAll(async () => {
    await t?.close();
    await pg?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('keeps serving loaded versions, answers registry calls 503, and recovers by itself', async () => {
    await pg.stop();
    for (let i = 0; i < 50; i++) {
      const res = await inject(t, 'POST', '/v1/models/steady/predict', row);
      expect(res.statusCode).toBe(200);
    }
    const registry = await t.http.get('/api/v1/models/steady').set(t.admin);
    expect(registry.status).toBe(503);
    expect(registry.body.error.code).toBe('DATABASE_UNAVAILABLE');
    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.database.status).toBe('degraded');

    pg = await startEmbeddedPostgres(path.join(dir, 'pg'), 'modelgate', () => {}, { port: pg.port });
    await eventually(async () => (await t.http.get('/api/v1/models/steady').set(t.admin)).status === 200, 30_000, 200);
    await uploadOk(t, 'steady', { file: model(1) });
    await setAlias(t, 'steady', 'production', 2);
    expect((await inject(t, 'POST', '/v1/models/steady/predict', row)).json().version).toBe(2);
    await eventually(async () => (await t.http.get('/health/ready')).body.details?.database?.status === 'up', 10_000);
  });
});
