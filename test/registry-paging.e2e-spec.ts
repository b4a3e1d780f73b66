import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';

/** Follows `next_cursor` from the first page to the last; returns every page's items. */
async function pageThrough(t: TestApp, url: string, field: string): Promise<{ pages: unknown[][]; cursors: (string | null)[] }> {
  const pages: unknown[][] = [];
  const cursors: (string | null)[] = [];
  let cursor: string | null = null;
  do {
    const sep = url.includes('?') ? '&' : '?';
    const res: { status: number; body: any } = await t.http.get(cursor ? `${url}${sep}cursor=${encodeURIComponent(cursor)}` : url).set(t.admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toHaveProperty('next_cursor');
    pages.push(res.body[field]);
    cursor = res.body.next_cursor;
    cursors.push(cursor);
    expect(pages.length).toBeLessThan(50);
  } while (cursor !== null);
  return { pages, cursors };
}

describe('every registry list pages with limit and next_cursor', () => {
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

  it('pages through 23 versions newest first, saying on each page whether more exist', async () => {
    await createModel(t, 'many-versions');
    const file = logisticBinaryClassifier({ weights: [0.5, -0.25], bias: 0, featureNames: ['a', 'b'] });
    for (let i = 0; i < 23; i++) await uploadOk(t, 'many-versions', { file });
    const { pages, cursors } = await pageThrough(t, '/api/v1/models/many-versions/versions?limit=10', 'versions');
    expect(pages.map((p) => p.length)).toEqual([10, 10, 3]);
    expect(cursors.map((c) => c !== null)).toEqual([true, true, false]);
    expect(pages.flat().map((v: any) => v.version)).toEqual(Array.from({ length: 23 }, (_, i) => 23 - i));
    const all = await t.http.get('/api/v1/models/many-versions/versions').set(t.admin).expect(200);
    expect(all.body.versions).toHaveLength(23);
    expect(all.body.next_cursor).toBeNull();
    const exact = await t.http.get('/api/v1/models/many-versions/versions?limit=23').set(t.admin).expect(200);
    expect(exact.body.next_cursor).toBeNull();
  });

  it('keeps the older before parameter working beside the cursor', async () => {
    const res = await t.http.get('/api/v1/models/many-versions/versions?limit=4&before=10').set(t.admin).expect(200);
    expect(res.body.versions.map((v: any) => v.version)).toEqual([9, 8, 7, 6]);
    const next = await t.http.get(`/api/v1/models/many-versions/versions?limit=4&cursor=${res.body.next_cursor}`).set(t.admin).expect(200);
    expect(next.body.versions.map((v: any) => v.version)).toEqual([5, 4, 3, 2]);
  });

  it('refuses a cursor it did not give out with 400 naming the cursor', async () => {
    for (const url of ['/api/v1/models/many-versions/versions?cursor=bm90LWEtbnVtYmVy', '/api/v1/models/many-versions/history?cursor=!!', '/api/v1/keys?cursor=eA']) {
      const res = await t.http.get(url).set(t.admin).expect(400);
      expect(res.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'cursor' } });
    }
  });

  it('pages through the serving history newest first', async () => {
    await createModel(t, 'moves');
    const file = logisticBinaryClassifier({ weights: [1], bias: 0, featureNames: ['x'] });
    await uploadOk(t, 'moves', { file });
    await uploadOk(t, 'moves', { file });
    for (let i = 0; i < 12; i++) await setAlias(t, 'moves', 'production', (i % 2) + 1);
    const { pages, cursors } = await pageThrough(t, '/api/v1/models/moves/history?limit=5', 'revisions');
    expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
    expect(cursors.at(-1)).toBeNull();
    expect(pages.flat().map((r: any) => r.revision)).toEqual(Array.from({ length: 12 }, (_, i) => 12 - i));
  });

  it('pages through 130 API keys oldest first, at the default limit of 100 and at 40', async () => {
    const created: string[] = [];
    for (let i = 0; i < 130; i++) {
      const res = await t.http.post('/api/v1/keys').set(t.admin).send({ name: `paged ${i}`, scopes: ['predict'] }).expect(201);
      created.push(res.body.id);
    }
    const byDefault = await pageThrough(t, '/api/v1/keys', 'keys');
    expect(byDefault.pages[0]).toHaveLength(100);
    expect(byDefault.pages.length).toBe(2);
    const ids = byDefault.pages.flat().map((k: any) => k.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => created.includes(id))).toEqual(created);
    const small = await pageThrough(t, '/api/v1/keys?limit=40', 'keys');
    expect(small.pages.map((p) => p.length).slice(0, 3)).toEqual([40, 40, 40]);
    expect(small.pages.flat().map((k: any) => k.id)).toEqual(ids);
  });
});
