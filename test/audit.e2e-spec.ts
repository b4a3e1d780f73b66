import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createModel, fixture, setAlias, uploadOk } from './support/registry.js';

describe('the audit trail', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('records every write with who, when, what, from where and how it ended, refusals included, newest first', async () => {
    const started = Date.now();
    await createModel(t, 'credit');
    await uploadOk(t, 'credit', { file: fixture('breast_cancer_xgb.onnx') });
    await setAlias(t, 'credit', 'production', 1, 'first release');
    await t.http.put('/api/v1/models/credit/traffic').set(t.admin).send({ routes: [{ version: 1, weight: 100 }], reason: 'pin' }).expect(200);
    await t.http.post('/api/v1/models/credit/rollback').set(t.admin).send({}).expect(200);
    await t.http.delete('/api/v1/models/credit').set(t.admin).expect(409);
    const key = await t.http.post('/api/v1/keys').set(t.admin).send({ name: 'ci', scopes: ['predict'] }).expect(201);
    await t.http.delete(`/api/v1/keys/${key.body.id}`).set(t.admin).expect(204);
    await t.http.get('/api/v1/models').set(t.admin).expect(200);

    const res = await t.http.get('/api/v1/audit').set(t.admin).expect(200);
    const trail = res.body.entries.map((e: any) => `${e.method} ${e.route} ${e.status}`);
    expect(trail).toEqual([
      'DELETE /api/v1/keys/:id 204',
      'POST /api/v1/keys 201',
      'DELETE /api/v1/models/:name 409',
      'POST /api/v1/models/:name/rollback 200',
      'PUT /api/v1/models/:name/traffic 200',
      'PUT /api/v1/models/:name/aliases/:alias 200',
      'POST /api/v1/models/:name/versions 201',
      'POST /api/v1/models 201',
    ]);
    const alias = res.body.entries[5];
    expect(alias).toMatchObject({
      actor: { key_id: 'admin-token', name: 'admin-token' },
      params: { name: 'credit', alias: 'production' },
      reason: 'first release',
      code: null,
      path: '/api/v1/models/credit/aliases/production',
    });
    expect(alias.address).toMatch(/127\.0\.0\.1/);
    expect(Date.parse(alias.at)).toBeGreaterThanOrEqual(started - 1_000);
    expect(res.body.entries[2].code).toBe('MODEL_IN_USE');
    // The secret of a new key is never in the trail.
    expect(JSON.stringify(res.body)).not.toContain(key.body.key.split('_')[2]);
  });

  it('pages with limit and next_cursor, filters by model, and is for admins only', async () => {
    const first = await t.http.get('/api/v1/audit?limit=3').set(t.admin).expect(200);
    expect(first.body.entries).toHaveLength(3);
    const second = await t.http.get(`/api/v1/audit?limit=3&cursor=${first.body.next_cursor}`).set(t.admin).expect(200);
    expect(second.body.entries[0].id).toBeLessThan(first.body.entries[2].id);
    const byModel = await t.http.get('/api/v1/audit?model=credit').set(t.admin).expect(200);
    expect(byModel.body.entries.every((e: any) => e.params.name === 'credit')).toBe(true);
    expect((await t.http.get('/api/v1/audit?cursor=bm9wZQ').set(t.admin)).body.error.code).toBe('VALIDATION_FAILED');
    const reader = await t.http.post('/api/v1/keys').set(t.admin).send({ name: 'reader', scopes: ['registry:read'] }).expect(201);
    const denied = await t.http.get('/api/v1/audit').set({ Authorization: `Bearer ${reader.body.key}` });
    expect(denied.status).toBe(403);
  });

  it('still records a refused write whose values the database could not store', async () => {
    const res = await t.http.put('/api/v1/models/credit/aliases/staging').set(t.admin).send({ version: 1, reason: 'a\u0000b\ud800' });
    expect(res.status).toBe(400);
    const top = (await t.http.get('/api/v1/audit?limit=1').set(t.admin)).body.entries[0];
    expect(top).toMatchObject({ route: '/api/v1/models/:name/aliases/:alias', status: 400, code: 'VALIDATION_FAILED' });
  });

  it('records the V2 repository writes (load, unload) that bypass the Nest controllers, refusals with their code', async () => {
    await t.http.post('/v2/repository/models/credit/load').set(t.admin).send({}).expect(200);
    const refused = await t.http.post('/v2/repository/models/credit/unload').set(t.admin).send({ parameters: { version: 1 } });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    await t.http.post('/v2/repository/index').set(t.admin).send({}).expect(200);
    const top = (await t.http.get('/api/v1/audit?limit=2').set(t.admin)).body.entries;
    expect(top.map((e: any) => `${e.method} ${e.route} ${e.status}`)).toEqual([
      `POST /v2/repository/models/:name/unload ${refused.status}`,
      'POST /v2/repository/models/:name/load 200',
    ]);
    expect(top[0]).toMatchObject({ actor: { key_id: 'admin-token' }, params: { name: 'credit' }, code: refused.body.code });
    expect(top[0].code).toEqual(expect.any(String));
  });
});
