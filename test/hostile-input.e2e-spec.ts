import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { rawRequest } from './support/raw-http.js';
import { createModel, fixture, setAlias, uploadOk, uploadVersion } from './support/registry.js';

const BC = 'breast_cancer_xgb';
const NUL = 'a\u0000b';
const LONE = 'a\ud800b';
const INT4_OVER = 2_147_483_648;

/** `{"a": {"a": ... 1}}`, `depth` levels, as JSON text (building it as an object would be what we test). */
const deepJson = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

function expectRefused(res: { status: number; body: any }, status: number, code: string, field?: string) {
  expect(res.status, JSON.stringify(res.body).slice(0, 400)).toBe(status);
  expect(res.body.error.code).toBe(code);
  if (field !== undefined) expect(res.body.error.details.field).toBe(field);
}

describe('hostile input is refused in the envelope, never a 500', () => {
  let db: TestDatabase;
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as { port: number }).port;
    await createModel(t, 'credit');
    await uploadOk(t, 'credit', { file: fixture(`${BC}.onnx`) });
    await setAlias(t, 'credit', 'production', 1);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  describe('NUL bytes and lone surrogates in strings that reach text or jsonb', () => {
    it.each([
      ['description', { name: 'm1', task: 'regression', description: NUL }, 'description'],
      ['owner', { name: 'm1', task: 'regression', owner: NUL }, 'owner'],
      ['a tag value', { name: 'm1', task: 'regression', tags: { team: NUL } }, 'tags.team'],
      ['a tag key', { name: 'm1', task: 'regression', tags: { [NUL]: 'x' } }, 'tags.a\\u0000b'],
      ['a lone surrogate in a description', { name: 'm1', task: 'regression', description: LONE }, 'description'],
      ['a lone surrogate in a policy key', { name: 'm1', task: 'regression', monitoring_policy: { features: { [LONE]: {} } } }, 'monitoring_policy.features.a\\ud800b'],
    ])('refuses a model whose %s holds one, naming the field', async (_what, body, field) => {
      const res = await t.http.post('/api/v1/models').set(t.admin).send(body);
      expectRefused(res, 400, 'VALIDATION_FAILED', field);
    });

    it('stores nothing for a refused lone surrogate (no silent U+FFFD)', async () => {
      await t.http.post('/api/v1/models').set(t.admin).send({ name: 'm2', task: 'regression', description: LONE });
      const rows = await withClient(db.url, (c) => c.query(`SELECT name FROM models WHERE description LIKE '%' || chr(65533) || '%' OR name = 'm2'`));
      expect(rows.rowCount).toBe(0);
    });

    it('refuses a key name, an alias reason and a traffic reason with a NUL', async () => {
      expectRefused(await t.http.post('/api/v1/keys').set(t.admin).send({ name: NUL, scopes: ['predict'] }), 400, 'VALIDATION_FAILED', 'name');
      expectRefused(
        await t.http.put('/api/v1/models/credit/aliases/staging').set(t.admin).send({ version: 1, reason: NUL }),
        400,
        'VALIDATION_FAILED',
        'reason',
      );
      expectRefused(
        await t.http
          .put('/api/v1/models/credit/traffic')
          .set(t.admin)
          .send({ routes: [{ version: 1, weight: 100 }], reason: LONE }),
        400,
        'VALIDATION_FAILED',
        'reason',
      );
    });

    it('refuses a NUL in a tag filter and in a cursor that decodes to one', async () => {
      expectRefused(await t.http.get('/api/v1/models?tag=a%00').set(t.admin), 400, 'VALIDATION_FAILED', 'tag');
      const cursor = Buffer.from('credit\u0000').toString('base64url');
      const res = await t.http.get(`/api/v1/models?cursor=${cursor}`).set(t.admin);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    });

    it('refuses upload metadata holding a NUL or a lone surrogate key', async () => {
      const a = await uploadVersion(t, 'credit', { file: fixture(`${BC}.onnx`), metadata: { description: NUL } });
      expectRefused(a, 400, 'VALIDATION_FAILED', 'description');
      const b = await uploadVersion(t, 'credit', { file: fixture(`${BC}.onnx`), metadata: { lineage: { [LONE]: 1 } } });
      expect(b.status, JSON.stringify(b.body)).toBe(400);
      expect(b.body.error.code).toBe('VALIDATION_FAILED');
    });

    it('answers a V2 model name holding a NUL in the protocol shape, not a 500', async () => {
      const res = await t.http.get('/v2/models/a%00b').set(t.admin);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(typeof res.body.error).toBe('string');
      expect(typeof res.body.code).toBe('string');
    });
  });

  describe('integers beyond PostgreSQL int4', () => {
    it.each([
      ['history before', (h: TestApp) => h.http.get(`/api/v1/models/credit/history?before=${INT4_OVER}`), 'before'],
      ['versions before', (h: TestApp) => h.http.get(`/api/v1/models/credit/versions?before=${INT4_OVER}`), 'before'],
      ['an alias version', (h: TestApp) => h.http.put('/api/v1/models/credit/aliases/staging').send({ version: INT4_OVER }), 'version'],
      ['a route version', (h: TestApp) => h.http.put('/api/v1/models/credit/traffic').send({ routes: [{ version: INT4_OVER, weight: 100 }] }), 'routes.0.version'],
      ['fallback', (h: TestApp) => h.http.put('/api/v1/models/credit/traffic').send({ routes: [{ version: 1, weight: 100 }], fallback: INT4_OVER }), 'fallback'],
      ['shadow', (h: TestApp) => h.http.put('/api/v1/models/credit/traffic').send({ routes: [{ version: 1, weight: 100 }], shadow: [INT4_OVER] }), 'shadow.0'],
      ['to_revision', (h: TestApp) => h.http.post('/api/v1/models/credit/rollback').send({ to_revision: INT4_OVER }), 'to_revision'],
      ['limit', (h: TestApp) => h.http.get(`/api/v1/models?limit=${INT4_OVER}`), 'limit'],
      ['a path version', (h: TestApp) => h.http.get(`/api/v1/models/credit/versions/${INT4_OVER}`), 'version'],
    ])('refuses %s of 2147483648 as a 400 naming it', async (_what, send, field) => {
      expectRefused(await send(t).set(t.admin), 400, 'VALIDATION_FAILED', field);
    });

    it('advertises 2147483647 as the maximum of every version field in OpenAPI', async () => {
      const doc = (await t.http.get('/docs-json')).body;
      const text = JSON.stringify(doc);
      expect(text).not.toContain('9007199254740991');
      const alias = doc.paths['/api/v1/models/{name}/aliases/{alias}'].put.requestBody.content['application/json'].schema;
      expect(alias.properties.version.maximum).toBe(2_147_483_647);
    });
  });

  describe('deep and large JSON', () => {
    it.each([33, 1_000, 5_000, 100_000])('refuses a body nested %i levels deep', async (depth) => {
      const res = await t.http.post('/api/v1/models').set(t.admin).set('content-type', 'application/json').send(`{"name":"deep","task":"regression","tags":${deepJson(depth)}}`);
      expectRefused(res, 400, 'VALIDATION_FAILED');
      expect(res.body.error.message).toContain('nested deeper than 32');
    });

    it.each([1_000, 5_000])('refuses upload metadata nested %i levels deep and stores no version', async (depth) => {
      const res = await uploadVersion(t, 'credit', { file: fixture(`${BC}.onnx`), metadata: `{"lineage":${deepJson(depth)}}` });
      expectRefused(res, 400, 'VALIDATION_FAILED');
      const versions = await t.http.get('/api/v1/models/credit/versions').set(t.admin);
      expect(versions.body.versions).toHaveLength(1);
    });

    it('refuses a predict body nested 5,000 levels deep as a 400', async () => {
      const res = await t.http
        .post('/v1/models/credit/predict')
        .set(t.admin)
        .set('content-type', 'application/json')
        .send(`{"instances":[${deepJson(5_000)}]}`);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.code).toMatch(/VALIDATION_FAILED|FEATURE/);
    });
  });

  describe('malformed multipart', () => {
    const post = (contentType: string, body: string) =>
      t.http.post('/api/v1/models/credit/versions').set(t.admin).set('content-type', contentType).send(body);
    const part = (boundary: string) => `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="m.onnx"\r\nContent-Type: application/octet-stream\r\n\r\nxxxx`;

    it.each([
      ['no boundary', 'multipart/form-data', part('b1') + '\r\n--b1--\r\n'],
      ['a boundary that does not match', 'multipart/form-data; boundary=other', part('b1') + '\r\n--b1--\r\n'],
      ['no closing boundary', 'multipart/form-data; boundary=b1', part('b1')],
      ['a truncated part header', 'multipart/form-data; boundary=b1', '--b1\r\nContent-Disposition: form-da'],
      ['a boundary over 256 characters', `multipart/form-data; boundary=${'b'.repeat(300)}`, part('b'.repeat(300))],
    ])('answers %s with a 400', async (_what, contentType, body) => {
      const res = await post(contentType, body);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.code).toMatch(/^(MALFORMED_MULTIPART|INVALID_UPLOAD|VALIDATION_FAILED)$/);
    });
  });

  describe('errors of the HTTP layer itself', () => {
    it('answers a request line Node cannot parse in the envelope', async () => {
      const res = await rawRequest(port, 'GET /health/live HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n');
      expect(res.status).toBe(400);
      expect(res.json.error.code).toBe('BAD_REQUEST');
    });

    it('answers headers over the limit with 431 in the envelope', async () => {
      const res = await rawRequest(port, `GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
      expect(res.status).toBe(431);
      expect(res.json.error.code).toBe('HEADERS_TOO_LARGE');
    });

    it('answers a URL with a broken percent-encoding in the envelope, and in the V2 shape on /v2', async () => {
      const a = await t.http.get('/api/v1/models/%zz').set(t.admin);
      expectRefused(a, 400, 'BAD_REQUEST');
      const b = await t.http.get('/v2/models/%zz').set(t.admin);
      expect(b.status).toBe(400);
      expect(b.body).toMatchObject({ code: 'BAD_REQUEST' });
      expect(typeof b.body.error).toBe('string');
    });

    it('answers a path segment over 100 characters with 414 in the envelope', async () => {
      const res = await t.http.get(`/api/v1/models/${'a'.repeat(150)}`).set(t.admin);
      expectRefused(res, 414, 'URI_TOO_LONG');
    });

    it('stays alive after all of it', async () => {
      expect((await t.http.get('/health/live')).status).toBe(200);
      expect((await t.http.post('/v1/models/credit/predict').set(t.admin).send({ inputs: [new Array(30).fill(0.1)] })).status).toBe(200);
    });
  });
});
