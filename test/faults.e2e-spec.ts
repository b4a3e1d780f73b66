import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../src/database/embedded-postgres.runner.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, listObjects, setAlias, uploadOk, uploadVersion } from './support/registry.js';
import { inject } from './support/serving.js';
import { startS3, type TestS3 } from './support/s3.js';

const FEATURES = ['f0', 'f1', 'f2'];
const model = (bias: number) => logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias, featureNames: FEATURES });
const row = { instances: [{ f0: 1, f2: 3, f1: 2 }] };

/** Sends predictions back to back until `stop()`; every status is counted. */
function steadyTraffic(t: TestApp, url = '/v1/models/steady/predict') {
  const statuses: number[] = [];
  let running = true;
  const loops = Array.from({ length: 4 }, async () => {
    while (running) statuses.push((await inject(t, 'POST', url, row)).statusCode);
  });
  return {
    statuses,
    async stop() {
      running = false;
      await Promise.all(loops);
      return statuses;
    },
  };
}

describe('the artifact store stopped', () => {
  let db: TestDatabase;
  let s3: TestS3;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    s3 = await startS3();
    t = await startTestApp({ db, s3 });
    await createModel(t, 'steady');
    await uploadOk(t, 'steady', { file: model(0) });
    await uploadOk(t, 'steady', { file: model(1) });
    await setAlias(t, 'steady', 'production', 1);
  });
  afterAll(async () => {
    await t?.close();
    await s3?.stop();
    await db?.drop();
  });

  it('keeps serving loaded versions, refuses uploads with 503 leaving nothing half-written, and loads a new version once it is back', async () => {
    const traffic = steadyTraffic(t);
    await eventually(() => traffic.statuses.length > 20);
    await s3.stop();
    const before = await withClient(db.url, (c) => c.query('SELECT count(*)::int AS n FROM model_versions'));
    const up = await uploadVersion(t, 'steady', { file: model(2) });
    expect(up.status, JSON.stringify(up.body)).toBe(503);
    expect(up.body.error.code).toBe('ARTIFACT_STORE_UNAVAILABLE');
    const after = await withClient(db.url, (c) => c.query('SELECT count(*)::int AS n FROM model_versions'));
    expect(after.rows[0].n).toBe(before.rows[0].n);
    // Promoting a version that is not loaded yet: it cannot load while the store is down.
    await setAlias(t, 'steady', 'production', 2);
    const statuses = await traffic.stop();
    expect(statuses.length).toBeGreaterThan(20);
    // Version 2 cannot load while the store is down, so this replica keeps
    // serving the revision before the promotion: every answer is version 1's.
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    const meanwhile = await inject(t, 'POST', '/v1/models/steady/predict', row);
    expect(meanwhile.statusCode).toBe(200);
    expect(meanwhile.json().version).toBe(1);

    await s3.restart();
    // The load of version 2 is retried by itself.
    await eventually(async () => (await inject(t, 'POST', '/v1/models/steady/predict', row)).json().version === 2, 30_000, 100);
    const ok = await uploadVersion(t, 'steady', { file: model(2) });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const objects = await listObjects(s3);
    const keys = await withClient(db.url, (c) => c.query('SELECT artifact_key FROM model_versions ORDER BY version'));
    // Every object is a version's artifact: the refused upload left no object behind.
    expect(objects.filter((o) => o.endsWith('.onnx')).sort()).toEqual(keys.rows.map((r) => r.artifact_key).sort());
  });
});

describe('PostgreSQL stopped mid-traffic', () => {
  let dir: string;
  let pg: EmbeddedPostgresHandle;
  let t: TestApp;

  beforeAll(async () => {
    // Its own server: the test stops it, never the one other suites share.
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-faults-'));
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

  it('answers every prediction while the database goes away under load, registry calls 503 in the envelope, and recovers with no restart', async () => {
    const traffic = steadyTraffic(t);
    await eventually(() => traffic.statuses.length > 20);
    await pg.stop();
    const during = traffic.statuses.length;
    const registry = await t.http.put('/api/v1/models/steady/aliases/staging').set(t.admin).send({ version: 1 });
    expect(registry.status).toBe(503);
    expect(registry.body.error.code).toBe('DATABASE_UNAVAILABLE');
    expect(registry.headers['retry-after']).toBeDefined();
    await eventually(() => traffic.statuses.length > during + 100, 30_000);
    pg = await startEmbeddedPostgres(path.join(dir, 'pg'), 'modelgate', () => {}, { port: pg.port });
    await eventually(async () => (await t.http.put('/api/v1/models/steady/aliases/staging').set(t.admin).send({ version: 1 })).status === 200, 30_000, 200);
    const statuses = await traffic.stop();
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(statuses.length).toBeGreaterThan(during + 100);
  });
});
