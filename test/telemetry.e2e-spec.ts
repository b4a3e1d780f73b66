import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uuidv7 } from '../src/common/ids.js';
import { PredictionRecorder } from '../src/monitoring/telemetry/prediction-recorder.js';
import type { PredictionRecord } from '../src/monitoring/telemetry/telemetry-records.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';

function prediction(model: string, i: number, extra: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    id: uuidv7(),
    model,
    version: 1 + (i % 3),
    variant: `v${1 + (i % 3)}`,
    protocol: i % 2 ? 'v2' : 'v1',
    fallback: i % 50 === 0,
    createdAt: Date.now(),
    latencyMs: 0.5 + (i % 10) / 10,
    score: (i % 100) / 100,
    label: i % 2,
    ...extra,
  };
}

async function countRows(db: TestDatabase, sql: string, params: unknown[] = []): Promise<number> {
  return withClient(db.url, async (c) => Number((await c.query(sql, params)).rows[0].n));
}

/** One sample of the /metrics exposition, or undefined when the series is absent. */
async function scrape(t: TestApp, series: string): Promise<number | undefined> {
  const res = await t.http.get('/metrics').expect(200);
  const line = res.text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('prediction telemetry', () => {
  let db: TestDatabase;
  let t: TestApp;
  let recorder: PredictionRecorder;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_TELEMETRY_FLUSH_MS: '50', MODELGATE_INPUT_SAMPLE_RATE: '0.1' } });
    recorder = t.app.get(PredictionRecorder);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('stores every one of 20,000 recorded predictions in Postgres', async () => {
    const n = 20_000;
    const records = Array.from({ length: n }, (_, i) => {
      const r = prediction('bulk', i);
      if (recorder.shouldSampleInputs()) r.inputs = { age: 20 + (i % 50), income: 1000 * i, city: 'Lyon' };
      return r;
    });
    const flushedBefore = (await scrape(t, 'modelgate_telemetry_flushed_total{kind="prediction"}')) ?? 0;
    const t0 = process.hrtime.bigint();
    for (const r of records) recorder.record(r);
    const recordNs = Number(process.hrtime.bigint() - t0) / n;
    const wall0 = Date.now();
    await eventually(async () => (await countRows(db, `SELECT count(*) AS n FROM predictions WHERE model = 'bulk'`)) === n, 30_000, 10);
    const wallMs = Date.now() - wall0;

    const flushed = (await scrape(t, 'modelgate_telemetry_flushed_total{kind="prediction"}'))! - flushedBefore;
    const flushSeconds = (await scrape(t, 'modelgate_telemetry_flush_duration_seconds_sum{kind="prediction"}'))!;
    const sampled = records.filter((r) => r.inputs !== undefined).length;
    console.log(
      `telemetry: record() ${recordNs.toFixed(0)} ns/call over ${n} calls; ` +
        `${n} rows visible ${wallMs} ms after the last record() (flush every 50 ms); ` +
        `flush throughput ${Math.round(flushed / flushSeconds)} rows/s (${flushSeconds.toFixed(3)} s serialising and inserting); ` +
        `${sampled} of ${n} with inputs`,
    );
    expect(flushed).toBe(n);
    expect(await countRows(db, `SELECT count(*) AS n FROM predictions WHERE model = 'bulk' AND inputs IS NOT NULL`)).toBe(sampled);
    expect(sampled).toBeGreaterThan(n * 0.05);
    expect(sampled).toBeLessThan(n * 0.15);
  });

  it('stores each field as recorded, with created_at to the millisecond', async () => {
    const r = prediction('fields', 7, {
      fallback: true,
      createdAt: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      latencyMs: 2.5,
      outputs: { probabilities: { '0': 0.2, '1': 0.3, '2': 0.5 } },
      inputs: { age: 41, city: 'Lyon' },
    });
    recorder.record(r);
    const row = await eventually(() =>
      withClient(db.url, async (c) => (await c.query(`SELECT *, created_at = $2::timestamptz AS exact FROM predictions WHERE id = $1`, [r.id, '2026-01-02T03:04:05.678Z'])).rows[0]),
    );
    expect(row).toMatchObject({ model: 'fields', version: 2, variant: 'v2', protocol: 'v2', fallback: true, latency_ms: 2.5, exact: true });
    expect(row).toMatchObject({ score: 0.07, label: '1' });
    expect(row.outputs).toEqual(r.outputs);
    expect(row.inputs).toEqual({ age: 41, city: 'Lyon' });
  });

  it('stores shadow answers and shadow errors keyed by the live prediction', async () => {
    const live = prediction('shadowed', 1);
    recorder.record(live);
    recorder.recordShadow({ predictionId: live.id, model: 'shadowed', version: 5, createdAt: live.createdAt, latencyMs: 3, outputs: [{ score: 0.4 }] });
    recorder.recordShadow({ predictionId: live.id, model: 'shadowed', version: 6, createdAt: live.createdAt, latencyMs: 250, error: 'timed out after 250 ms' });
    const rows = (await eventually(async () => {
      const r = await withClient(db.url, async (c) => (await c.query(`SELECT * FROM shadow_predictions WHERE prediction_id = $1 ORDER BY version`, [live.id])).rows);
      return r.length === 2 ? r : undefined;
    }))!;
    expect(rows[0]).toMatchObject({ version: 5, outputs: [{ score: 0.4 }], error: null });
    expect(rows[1]).toMatchObject({ version: 6, outputs: null, error: 'timed out after 250 ms' });
  });

  it('drops and counts a record the database refuses, without holding back the records around it', async () => {
    const dropped0 = (await scrape(t, 'modelgate_telemetry_dropped_total{kind="prediction"}')) ?? 0;
    const good = Array.from({ length: 50 }, (_, i) => prediction('poison', i));
    good.slice(0, 25).forEach((r) => recorder.record(r));
    expect(() => recorder.record(prediction('poison', 99, { id: 'not-a-uuid' }))).not.toThrow();
    expect(() => recorder.record(prediction('poison', 98, { outputs: 10n }))).not.toThrow();
    expect(() => recorder.record(prediction('poison', 97, { inputs: { s: 'nul\u0000byte' } }))).not.toThrow();
    // Encodes fine but PostgreSQL refuses it (a lone surrogate is not JSON text): the COPY fails and the batch is split to find it.
    expect(() => recorder.record(prediction('poison', 96, { inputs: { s: '\ud800' } }))).not.toThrow();
    good.slice(25).forEach((r) => recorder.record(r));
    await eventually(async () => (await countRows(db, `SELECT count(*) AS n FROM predictions WHERE model = 'poison'`)) === 51);
    await eventually(async () => (await scrape(t, 'modelgate_telemetry_dropped_total{kind="prediction"}')) === dropped0 + 3);
  });

  it('stores a batch retried after its commit was already made once, dropping nothing', async () => {
    const dropped0 = (await scrape(t, 'modelgate_telemetry_dropped_total{kind="prediction"}')) ?? 0;
    const batch = Array.from({ length: 20 }, (_, i) => prediction('retried', i));
    batch.slice(0, 10).forEach((r) => recorder.record(r));
    await eventually(async () => (await countRows(db, `SELECT count(*) AS n FROM predictions WHERE model = 'retried'`)) === 10);
    // The same ten again (as after a lost answer) with ten new ones in one batch.
    batch.forEach((r) => recorder.record(r));
    await eventually(async () => (await countRows(db, `SELECT count(*) AS n FROM predictions WHERE model = 'retried'`)) === 20);
    await recorder.flush();
    expect(recorder.queued.prediction).toBe(0);
    expect(await scrape(t, 'modelgate_telemetry_dropped_total{kind="prediction"}')).toBe(dropped0);
  });

  it('keeps recording through a database outage and stores the records once the database is back', async () => {
    const failures = async () => (await scrape(t, 'modelgate_telemetry_flush_failures_total{kind="prediction"}')) ?? 0;
    const n = 1_000;
    const records = Array.from({ length: n }, (_, i) => prediction('outage', i));
    const adminUrl = inject('postgresAdminUrl');
    const admin = (sql: string) => withClient(adminUrl, (c) => c.query(sql));
    const app = (sql: string) => withClient(db.url, (c) => c.query(sql));
    const terminate = `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db.name}' AND pid <> pg_backend_pid()`;
    try {
      // First the table is gone and every pooled connection is dropped...
      await app(`ALTER TABLE predictions RENAME TO predictions_offline`);
      await admin(terminate);
      const f0 = await failures();
      for (const r of records.slice(0, n / 2)) expect(() => recorder.record(r)).not.toThrow();
      await eventually(async () => (await failures()) > f0 + 2);
      expect(recorder.queued.prediction).toBe(n / 2);

      // ...then the server refuses the app's database altogether.
      await admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS false`);
      await admin(terminate);
      const f1 = await failures();
      for (const r of records.slice(n / 2)) expect(() => recorder.record(r)).not.toThrow();
      await eventually(async () => (await failures()) > f1 + 2);
      expect(recorder.queued.prediction).toBe(n);
      expect(await scrape(t, 'modelgate_telemetry_queue_depth{kind="prediction"}')).toBe(n);
      // Connections come back first, while the table is still away, so nothing can land in the renamed table.
      await admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
      expect(await countRows(db, `SELECT count(*) AS n FROM predictions_offline WHERE model = 'outage'`)).toBe(0);
    } finally {
      await admin(`ALTER DATABASE ${db.name} ALLOW_CONNECTIONS true`);
      await app(`ALTER TABLE IF EXISTS predictions_offline RENAME TO predictions`);
    }
    await eventually(async () => (await countRows(db, `SELECT count(*) AS n FROM predictions WHERE model = 'outage'`)) === n, 15_000);
    expect(recorder.queued.prediction).toBe(0);
    expect(await scrape(t, 'modelgate_telemetry_queue_depth{kind="prediction"}')).toBe(0);
  });
});

describe('prediction telemetry under overload', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    // A flush period longer than the test: only shutdown writes the queue.
    t = await startTestApp({ db, env: { MODELGATE_TELEMETRY_QUEUE_SIZE: '100', MODELGATE_TELEMETRY_FLUSH_MS: '3600000' } });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('drops and counts records beyond the queue capacity, and writes the queued ones at shutdown', async () => {
    const recorder = t.app.get(PredictionRecorder);
    for (let i = 0; i < 150; i++) recorder.record(prediction('overload', i));
    recorder.recordShadow({ predictionId: uuidv7(), model: 'overload', version: 2, createdAt: Date.now(), latencyMs: 1 });
    expect(await scrape(t, 'modelgate_telemetry_dropped_total{kind="prediction"}')).toBe(50);
    expect(await scrape(t, 'modelgate_telemetry_queue_depth{kind="prediction"}')).toBe(100);
    expect(await scrape(t, 'modelgate_telemetry_queue_depth{kind="shadow"}')).toBe(1);

    const drops = 200_000;
    const t0 = process.hrtime.bigint();
    const r = prediction('overload', 0);
    for (let i = 0; i < drops; i++) recorder.record(r);
    console.log(`telemetry: record() on a full queue ${(Number(process.hrtime.bigint() - t0) / drops).toFixed(1)} ns/call (drop + count)`);
    expect(await scrape(t, 'modelgate_telemetry_dropped_total{kind="prediction"}')).toBe(50 + drops);

    await t.close();
    expect(await countRows(db, `SELECT count(*) AS n FROM predictions WHERE model = 'overload'`)).toBe(100);
    expect(await countRows(db, `SELECT count(*) AS n FROM shadow_predictions WHERE model = 'overload'`)).toBe(1);
  });
});
