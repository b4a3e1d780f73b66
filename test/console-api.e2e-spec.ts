import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createModel } from './support/registry.js';

/** What the console needs of the API beside what it already had: its own key, a name search, and its static files under their own CSP. */
describe('the API surface of the console', () => {
  let db: TestDatabase;
  let t: TestApp;
  let ui: string;

  beforeAll(async () => {
    ui = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-ui-'));
    fs.mkdirSync(path.join(ui, 'assets'));
    fs.writeFileSync(path.join(ui, 'index.html'), '<!doctype html><title>Modelgate</title><script type="module" src="/ui/assets/app-1.js"></script>');
    fs.writeFileSync(path.join(ui, 'assets', 'app-1.js'), 'export {}');
    db = await createTestDatabase();
    t = await startTestApp({ db, uiDir: ui });
    for (const name of ['credit-risk', 'fraud', 'loan-credit', 'churn']) await createModel(t, name);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    fs.rmSync(ui, { recursive: true, force: true });
  });

  it("answers a read-only key's own name, scopes and models, and never a secret", async () => {
    const created = await t.http.post('/api/v1/keys').set(t.admin).send({ name: 'console viewer', scopes: ['registry:read', 'monitor:read'], models: ['credit-*'] }).expect(201);
    const res = await t.http.get('/api/v1/keys/self').set({ Authorization: `Bearer ${created.body.key}` }).expect(200);
    expect(res.body).toMatchObject({ id: created.body.id, name: 'console viewer', scopes: ['registry:read', 'monitor:read'], models: ['credit-*'] });
    expect(JSON.stringify(res.body)).not.toContain(created.body.key.split('_')[2]);
    expect(res.body).not.toHaveProperty('key');
  });

  it('describes the admin token as an admin without a row', async () => {
    const res = await t.http.get('/api/v1/keys/self').set(t.admin).expect(200);
    expect(res.body).toMatchObject({ id: 'admin-token', scopes: ['admin'], models: null });
  });

  it('refuses a revoked key', async () => {
    const created = await t.http.post('/api/v1/keys').set(t.admin).send({ name: 'gone', scopes: ['predict'] }).expect(201);
    await t.http.delete(`/api/v1/keys/${created.body.id}`).set(t.admin).expect(204);
    const res = await t.http.get('/api/v1/keys/self').set({ Authorization: `Bearer ${created.body.key}` });
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('finds models by a prefix or any part of the name, case-insensitive, in name order', async () => {
    const names = async (q: string) => (await t.http.get('/api/v1/models').query({ q }).set(t.admin).expect(200)).body.models.map((m: { name: string }) => m.name);
    expect(await names('credit')).toEqual(['credit-risk', 'loan-credit']);
    expect(await names('FRA')).toEqual(['fraud']);
    expect(await names('%')).toEqual([]);
    expect(await names('zzz')).toEqual([]);
  });

  it('pages a search by cursor', async () => {
    const first = await t.http.get('/api/v1/models').query({ q: 'r', limit: 2 }).set(t.admin).expect(200);
    expect(first.body.models.map((m: { name: string }) => m.name)).toEqual(['churn', 'credit-risk']);
    const next = await t.http.get('/api/v1/models').query({ q: 'r', limit: 2, cursor: first.body.next_cursor }).set(t.admin).expect(200);
    expect(next.body.models.map((m: { name: string }) => m.name)).toEqual(['fraud', 'loan-credit']);
  });

  it('serves the console without a key, under a CSP that allows only its own origin', async () => {
    const res = await t.http.get('/ui/').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toBe("default-src 'self'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'");
    expect(res.text).toContain('<title>Modelgate</title>');
    const js = await t.http.get('/ui/assets/app-1.js').expect(200);
    expect(js.headers['cache-control']).toContain('immutable');
    expect((await t.http.get('/api/v1/models').set(t.admin)).headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
  });

  it("answers the browser router's page paths with index.html, and a missing asset with 404", async () => {
    expect((await t.http.get('/ui/models/fraud/versions/1').expect(200)).text).toContain('<title>Modelgate</title>');
    expect((await t.http.get('/ui').expect(302)).headers.location).toBe('/ui/');
    const missing = await t.http.get('/ui/assets/nope-2.js').expect(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');
  });
});
