import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';
import { startS3, type TestS3 } from './support/s3.js';

const model = (bias: number) => logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias, featureNames: ['f0', 'f1', 'f2'] });

describe('alias, traffic and rollback changes raced from two app instances', () => {
  let db: TestDatabase;
  let s3: TestS3;
  let a: TestApp;
  let b: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    s3 = await startS3();
    // Writes are the point here: no rate limit in the way.
    const env = { MODELGATE_RATE_LIMIT_WRITE_PER_S: '0' };
    [a, b] = await Promise.all([startTestApp({ db, s3, env }), startTestApp({ db, s3, env })]);
    await createModel(a, 'raced');
    for (const bias of [0, 1, 2]) await uploadOk(a, 'raced', { file: model(bias) });
    await setAlias(a, 'raced', 'production', 1);
    await setAlias(a, 'raced', 'staging', 2);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await s3?.stop();
    await db?.drop();
  });

  it('leaves one gapless history in which every acknowledged change is a revision and each starts where the last ended', async () => {
    const before = (await a.http.get('/api/v1/models/raced/history?limit=500').set(a.admin).expect(200)).body.revisions.length;
    const ops = Array.from({ length: 45 }, (_, i) => {
      const app = i % 2 ? a : b;
      const http = app.http;
      switch (i % 5) {
        case 0:
          return http.put('/api/v1/models/raced/aliases/production').set(app.admin).send({ version: (i % 3) + 1, reason: `op ${i}` });
        case 1:
          return http.put('/api/v1/models/raced/traffic').set(app.admin).send({ routes: [{ version: 1, weight: 50 }, { alias: 'staging', weight: 50 }], reason: `op ${i}` });
        case 2:
          return http.post('/api/v1/models/raced/rollback').set(app.admin).send({ reason: `op ${i}` });
        case 3:
          return http.put('/api/v1/models/raced/aliases/staging').set(app.admin).send({ version: ((i + 1) % 3) + 1, reason: `op ${i}` });
        default:
          return http.delete('/api/v1/models/raced/traffic?reason=op').set(app.admin);
      }
    });
    const results = await Promise.all(ops);
    // Each change either committed or was refused for a reason the contract names; none failed.
    // A rollback can restore a state from before `staging` existed: a route naming it is then refused.
    for (const r of results) {
      if (r.status === 422) expect(r.body.error.code).toBe('INVALID_TRAFFIC_POLICY');
      else expect([200, 409], JSON.stringify(r.body)).toContain(r.status);
    }
    // A change to what already holds answers 200 with `changed: false` and appends nothing.
    const changed = results.filter((r) => r.status === 200 && r.body.changed !== false);
    expect(changed.length).toBeGreaterThan(20);

    const h = (await a.http.get('/api/v1/models/raced/history?limit=500').set(a.admin).expect(200)).body.revisions;
    const revisions = h.map((r: any) => r.revision);
    expect(new Set(revisions).size).toBe(revisions.length);
    expect(revisions[0]).toBe(revisions.length);
    // No lost update: every acknowledged change is exactly one new revision, the one it was told.
    expect(h.length - before).toBe(changed.length);
    expect(changed.map((r) => r.body.revision).sort((x, y) => x - y)).toEqual(revisions.slice(0, changed.length).sort((x: number, y: number) => x - y));
    const chrono = [...h].reverse();
    for (let i = 1; i < chrono.length; i++) expect(chrono[i].before, `revision ${chrono[i].revision}`).toEqual(chrono[i - 1].after);
    // Both instances read the same final state.
    const [ta, tb] = await Promise.all([a.http.get('/api/v1/models/raced/traffic').set(a.admin), b.http.get('/api/v1/models/raced/traffic').set(b.admin)]);
    expect(ta.body).toEqual(tb.body);
  });
});
