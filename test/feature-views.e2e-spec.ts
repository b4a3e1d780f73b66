import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { ensureBuilt } from './support/app-process.js';
import { findBinary } from './support/binaries.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startRedis, type TestRedis } from './support/redis.js';

const ROOT = path.resolve(import.meta.dirname, '..');
const VIEW = {
  name: 'customer_profile',
  entities: ['customer_id'],
  features: { income: 'float', debt: 'float', tenure_months: 'int', segment: 'string' },
  ttl_s: 86_400,
};

function cli(args: string[], env: Record<string, string>): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (e, out, err) =>
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
    ),
  );
}

const redisBin = findBinary('redis-server');
if (!redisBin && process.env.MODELGATE_TEST_REQUIRE_ALL === '1') throw new Error('redis-server is required (MODELGATE_TEST_REQUIRE_ALL=1)');
const stores = redisBin ? (['postgres', 'redis'] as const) : (['postgres'] as const);
if (!redisBin) console.warn('feature-views.e2e-spec: redis-server not found (Debian package redis-server); the Redis store is not tried');

describe.each(stores)('feature views and their rows on the %s store', (kind) => {
  let db: TestDatabase;
  let redis: TestRedis | undefined;
  let t: TestApp;
  let pipelineKey: string;
  let readerKey: string;
  let writerKey: string;
  const as = (key: string) => ({ Authorization: `Bearer ${key}` });

  beforeAll(async () => {
    // The CLI runs from dist/: building may take a while on a busy machine.
    await ensureBuilt();
    db = await createTestDatabase();
    if (kind === 'redis') redis = await startRedis(redisBin!);
    t = await startTestApp({ db, env: redis ? { MODELGATE_FEATURE_STORE: redis.url } : {} });
    const key = async (scopes: string[]) => (await t.http.post('/api/v1/keys').set(t.admin).send({ name: scopes.join('+'), scopes }).expect(201)).body.key;
    pipelineKey = await key(['features:write']);
    readerKey = await key(['registry:read']);
    writerKey = await key(['registry:write']);
    await t.http.post('/api/v1/feature-views').set(as(writerKey)).send(VIEW).expect(201);
  });
  afterAll(async () => {
    await t?.close();
    await redis?.stop();
    await db?.drop();
  });

  it('defines a view once, shows it with its store, and refuses a second of the same name', async () => {
    const got = await t.http.get('/api/v1/feature-views/customer_profile').set(as(readerKey)).expect(200);
    expect(got.body).toMatchObject({ ...VIEW, store: kind });
    const again = await t.http.post('/api/v1/feature-views').set(t.admin).send(VIEW).expect(409);
    expect(again.body.error.code).toBe('FEATURE_VIEW_EXISTS');
    const bad = await t.http.post('/api/v1/feature-views').set(t.admin).send({ ...VIEW, name: 'x', features: { income: 'money' } }).expect(400);
    expect(bad.body.error.details.field).toBe('features.income');
  });

  it('lets only a features:write key write rows, and reads them with registry:read', async () => {
    const rows = { rows: [{ customer_id: 'c-42', income: 5200.5, debt: 120, tenure_months: 30, segment: 'gold', event_time: new Date().toISOString() }] };
    expect((await t.http.put('/api/v1/feature-views/customer_profile/rows').set(as(writerKey)).send(rows)).status).toBe(403);
    expect((await t.http.put('/api/v1/feature-views/customer_profile/rows').set(as(readerKey)).send(rows)).status).toBe(403);
    const put = await t.http.put('/api/v1/feature-views/customer_profile/rows').set(as(pipelineKey)).send(rows).expect(200);
    expect(put.body).toEqual({ view: 'customer_profile', rows: 1, written: 1, older: 0 });
    expect((await t.http.get('/api/v1/feature-views/customer_profile/rows/c-42').set(as(pipelineKey))).status).toBe(403);
    const row = await t.http.get('/api/v1/feature-views/customer_profile/rows/c-42').set(as(readerKey)).expect(200);
    expect(row.body).toMatchObject({ entity: { customer_id: 'c-42' }, values: { income: 5200.5, debt: 120, tenure_months: 30, segment: 'gold' }, stale: false, store: kind });
  });

  it('takes CSV, never lets an older event overwrite a newer one, and says a value past its time to live is stale', async () => {
    const csv = (lines: string[]) => t.http.put('/api/v1/feature-views/customer_profile/rows').set(as(pipelineKey)).set('content-type', 'text/csv').send(lines.join('\n'));
    const newer = await csv(['customer_id,income,debt,tenure_months,segment,event_time', 'c-7,100,1,2,silver,2026-12-01T00:00:00Z']).expect(200);
    expect(newer.body).toMatchObject({ rows: 1, written: 1, older: 0 });
    const older = await csv(['customer_id,income,event_time', 'c-7,999,2026-11-01T00:00:00Z']).expect(200);
    expect(older.body).toMatchObject({ rows: 1, written: 0, older: 1 });
    const row = await t.http.get('/api/v1/feature-views/customer_profile/rows/c-7').set(t.admin).expect(200);
    expect(row.body.values.income).toBe(100);
    expect(row.body.event_time).toBe('2026-12-01T00:00:00.000Z');
    // Written days before today with a one-day time to live.
    expect(row.body.stale).toBe(true);
  });

  it('refuses a batch with one bad row whole, naming the row and column, and stores none of it', async () => {
    const res = await t.http
      .put('/api/v1/feature-views/customer_profile/rows')
      .set(as(pipelineKey))
      .send([{ customer_id: 'ok-1', income: 1 }, { customer_id: 'bad', income: 'lots' }])
      .expect(400);
    expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'income', row: 1 } });
    expect((await t.http.get('/api/v1/feature-views/customer_profile/rows/ok-1').set(t.admin)).status).toBe(404);
    const unknown = await t.http.put('/api/v1/feature-views/customer_profile/rows').set(as(pipelineKey)).send([{ customer_id: 'x', age: 3 }]).expect(400);
    expect(unknown.body.error.details.field).toBe('age');
    const noView = await t.http.put('/api/v1/feature-views/nope/rows').set(as(pipelineKey)).send([{ customer_id: 'x' }]).expect(404);
    expect(noView.body.error.code).toBe('FEATURE_VIEW_NOT_FOUND');
  });

  it('loads a CSV file through the CLI in batches and every row reads back', async () => {
    await t.app.listen(0, '127.0.0.1');
    const port = (t.app.getHttpServer().address() as { port: number }).port;
    const dir = await fs.mkdtemp(path.join(ROOT, '.tmp-features-'));
    try {
      const file = path.join(dir, 'profiles.csv');
      const lines = ['customer_id,income,debt,tenure_months,segment,event_time'];
      for (let i = 0; i < 2_500; i++) lines.push(`load-${i},${i * 10},${i % 7},${i % 120},"seg, ""${i % 3}""",2026-12-0${1 + (i % 5)}T00:00:00Z`);
      await fs.writeFile(file, `${lines.join('\n')}\n`);
      const r = await cli(['features', 'load', 'customer_profile', file, '--batch-rows', '1000', '--json'], { MODELGATE_URL: `http://127.0.0.1:${port}`, MODELGATE_API_KEY: pipelineKey });
      expect(r.code, r.err).toBe(0);
      expect(JSON.parse(r.out)).toMatchObject({ rows: 2_500, written: 2_500, older: 0, requests: 3 });
      const row = await t.http.get('/api/v1/feature-views/customer_profile/rows/load-2499').set(t.admin).expect(200);
      expect(row.body.values).toEqual({ income: 24_990, debt: 2499 % 7, tenure_months: 2499 % 120, segment: 'seg, "0"' });
      const bad = await cli(['features', 'load', 'customer_profile', path.join(dir, 'missing.csv')], { MODELGATE_URL: `http://127.0.0.1:${port}`, MODELGATE_API_KEY: pipelineKey });
      expect(bad.code).not.toBe(0);
      expect(bad.err).toMatch(/FILE_NOT_FOUND/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it('deletes a view with its rows', async () => {
    await t.http.post('/api/v1/feature-views').set(t.admin).send({ ...VIEW, name: 'short_lived' }).expect(201);
    await t.http.put('/api/v1/feature-views/short_lived/rows').set(as(pipelineKey)).send([{ customer_id: 'a', income: 1 }]).expect(200);
    await t.http.delete('/api/v1/feature-views/short_lived').set(t.admin).expect(204);
    await t.http.post('/api/v1/feature-views').set(t.admin).send({ ...VIEW, name: 'short_lived' }).expect(201);
    expect((await t.http.get('/api/v1/feature-views/short_lived/rows/a').set(t.admin)).status).toBe(404);
  });
});
