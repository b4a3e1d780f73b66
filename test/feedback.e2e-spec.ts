import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uuidv7 } from '../src/common/ids.js';
import { DAY_MS } from '../src/monitoring/telemetry/partition-bounds.js';
import { PredictionPartitions } from '../src/monitoring/telemetry/prediction-partitions.js';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { inject } from './support/serving.js';
import { uuidv7At } from './support/uuid-at.js';

const post = (t: TestApp, body: unknown) => inject(t, 'POST', '/v1/feedback', body, { 'content-type': 'application/json' });

describe('POST /v1/feedback', () => {
  let db: TestDatabase;
  let t: TestApp;
  const stored = (id: string) =>
    withClient(db.url, async (c) => (await c.query(`SELECT label, value, outcomes FROM prediction_labels WHERE prediction_id = $1`, [id])).rows);

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('accepts a label for a prediction not yet in the log and has stored it before answering', async () => {
    const id = uuidv7();
    const res = await post(t, { prediction_id: id, label: 1, outcomes: { converted: 1, revenue: 12.5 } });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ results: [{ prediction_id: id, status: 'accepted' }], accepted: 1, duplicate: 0, conflict: 0, not_found: 0 });
    expect(await stored(id)).toEqual([{ label: '1', value: null, outcomes: { converted: 1, revenue: 12.5 } }]);
  });

  it('answers duplicate for the same label again and conflict for a different one, keeping the first', async () => {
    const id = uuidv7();
    await post(t, { prediction_id: id, label: 'approved' });
    const res = await post(t, [
      { prediction_id: id, label: 'approved' },
      { prediction_id: id, label: 'denied' },
    ]);
    expect(res.json()).toMatchObject({ results: [{ status: 'duplicate' }, { status: 'conflict' }], accepted: 0, duplicate: 1, conflict: 1 });
    expect(await stored(id)).toEqual([{ label: 'approved', value: null, outcomes: null }]);
  });

  it('treats a regression value like a label: equal is duplicate, different is conflict', async () => {
    const id = uuidv7();
    const res = await post(t, [
      { prediction_id: id, value: 151.2 },
      { prediction_id: id, value: 151.2 },
      { prediction_id: id, value: 150 },
    ]);
    expect(res.json().results.map((r: { status: string }) => r.status)).toEqual(['accepted', 'duplicate', 'conflict']);
    expect(await stored(id)).toEqual([{ label: null, value: 151.2, outcomes: null }]);
  });

  it('answers not_found for ids that are not UUIDv7, older than retention, or from beyond the partitions ahead', async () => {
    const old = uuidv7At(Date.now() - 31 * DAY_MS);
    const future = uuidv7At(Date.now() + 10 * DAY_MS);
    const res = await post(t, [
      { prediction_id: 'nope', label: 1 },
      { prediction_id: randomUUID(), label: 1 },
      { prediction_id: old, label: 1 },
      { prediction_id: future, label: 1 },
    ]);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ accepted: 0, not_found: 4 });
    expect(await stored(old)).toEqual([]);
  });

  it('answers not_found for an id inside retention from a day before the log had partitions', async () => {
    const id = uuidv7At(Date.now() - 20 * DAY_MS);
    const fresh = uuidv7();
    const res = await post(t, [
      { prediction_id: id, label: 0 },
      { prediction_id: fresh, label: 0 },
    ]);
    expect(res.json().results.map((r: { status: string }) => r.status)).toEqual(['not_found', 'accepted']);
  });

  it('refuses a malformed body with 400 naming the field, and stores nothing of it', async () => {
    const id = uuidv7();
    const cases: [unknown, string][] = [
      [[{ prediction_id: id, label: 1 }, 'x'], '1'],
      [{ prediction_id: id, label: 1, value: 2 }, 'label'],
      [{ prediction_id: id }, 'label'],
      [{ label: 1 }, 'prediction_id'],
      [{ prediction_id: id, label: true }, 'label'],
      [{ prediction_id: id, label: 1, outcomes: { revenue: 'a lot' } }, 'outcomes.revenue'],
      [{ prediction_id: id, label: 1, extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const res = await post(t, body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(res.json().error.details.field).toContain(field);
    }
    const bad = await inject(t, 'POST', '/v1/feedback', '{"prediction_id": ', { 'content-type': 'application/json' });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('MALFORMED_JSON');
    expect(await stored(id)).toEqual([]);
  });

  it('accepts exactly one of concurrent posts of one id with different labels; the rest conflict', async () => {
    for (let round = 0; round < 5; round++) {
      const id = uuidv7();
      const answers = await Promise.all(Array.from({ length: 12 }, (_, k) => post(t, { prediction_id: id, label: `class-${k}` })));
      const statuses = answers.map((a) => a.json().results[0].status as string);
      expect(statuses.filter((s) => s === 'accepted')).toHaveLength(1);
      expect(statuses.filter((s) => s === 'conflict')).toHaveLength(11);
      const winner = statuses.indexOf('accepted');
      expect(await stored(id)).toEqual([{ label: `class-${winner}`, value: null, outcomes: null }]);
    }
  });

  it('counts an array of a thousand items in one answer', async () => {
    const items = Array.from({ length: 1_000 }, (_, i) => ({ prediction_id: uuidv7(), label: i % 2 }));
    const res = await post(t, items);
    expect(res.json()).toMatchObject({ accepted: 1_000, duplicate: 0, conflict: 0, not_found: 0 });
    expect(res.json().results).toHaveLength(1_000);
  });
});

describe('prediction log partitions', () => {
  let db: TestDatabase;
  let t: TestApp;
  const partitions = (table: string) => t.app.get(PredictionPartitions).partitions(table);

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('has today and three days ahead in every partitioned table from the first start', async () => {
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    for (const table of ['predictions', 'shadow_predictions', 'prediction_labels', 'prediction_scores', 'labelled_predictions']) {
      const days = (await partitions(table)).map((p) => p.day);
      for (let i = 0; i <= 3; i++) expect(days, table).toContain(today + i * DAY_MS);
    }
  });

  it('drops the days past retention with their rows and keeps the rest', async () => {
    const p = t.app.get(PredictionPartitions);
    const oldMs = Date.now() - 40 * DAY_MS;
    await p.ensureDay(oldMs);
    const oldId = uuidv7At(oldMs);
    await withClient(db.url, (c) =>
      c.query(`INSERT INTO predictions (id, model, version, variant, protocol, created_at, latency_ms) VALUES ($1, 'm', 1, 'v1', 'v1', now(), 1)`, [oldId]),
    );
    const { dropped } = await p.maintain();
    expect(dropped.sort()).toEqual(
      ['predictions', 'shadow_predictions', 'prediction_labels', 'prediction_scores', 'labelled_predictions'].map((table) => `${table}_p${new Date(oldMs).toISOString().slice(0, 10).replaceAll('-', '')}`).sort(),
    );
    expect(await withClient(db.url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM predictions WHERE id = $1`, [oldId])).rows[0].n)).toBe(0);
    expect((await partitions('predictions')).length).toBeGreaterThanOrEqual(4);
  });
});
