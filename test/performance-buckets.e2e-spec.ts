import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from '../src/monitoring/buckets/bucket-grid.js';
import { LabelJoiner } from '../src/monitoring/buckets/label-joiner.js';
import { PredictionBuckets } from '../src/monitoring/buckets/prediction-buckets.js';
import { PerformanceGauges } from '../src/monitoring/performance/performance-gauges.js';
import { PerformanceReader } from '../src/monitoring/performance/performance-reader.js';
import { rocAuc } from '../src/monitoring/stats/roc-auc.js';
import { PredictionPartitions } from '../src/monitoring/telemetry/prediction-partitions.js';
import { PredictionRecorder } from '../src/monitoring/telemetry/prediction-recorder.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { createModel } from './support/registry.js';
import { inject } from './support/serving.js';
import { uuidv7At } from './support/uuid-at.js';

interface Made {
  id: string;
  at: number;
  score: number;
  label: number;
}

/** A deterministic spread of scores with labels that follow them loosely (AUC well inside (0.5, 1)). */
function traffic(n: number, at: (i: number) => number, seed: number): Made[] {
  let x = seed;
  const next = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: n }, (_, i) => {
    const score = Math.fround(next() ** 2);
    const label = next() < 0.2 + 0.6 * score ? 1 : 0;
    const t = at(i);
    return { id: uuidv7At(t), at: t, score, label };
  });
}

async function scrape(t: TestApp, series: string): Promise<number | undefined> {
  const res = await t.http.get('/metrics').expect(200);
  const line = res.text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('performance from buckets', () => {
  let db: TestDatabase;
  let t: TestApp;
  const now = Date.now();
  // Predictions two hours ago (labelled late, now) and in the last minutes (few labels).
  const early = traffic(600, (i) => now - 2 * HOUR_MS + i * 100, 7);
  const recent = traffic(300, (i) => now - 3 * MINUTE_MS + i * 100, 11);

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_TELEMETRY_FLUSH_MS: '50', MODELGATE_MONITOR_FLUSH_MS: '100', MODELGATE_QUERY_TIMEOUT_MS: '500' } });
    await t.app.get(PredictionPartitions).ensureDay(now - 2 * HOUR_MS);
    await createModel(t, 'late', 'binary_classification', { monitoring_policy: { window_seconds: 300, min_labels: 100, auc_min: 0.5 } });
    const recorder = t.app.get(PredictionRecorder);
    for (const m of [...early, ...recent]) {
      recorder.record({ id: m.id, model: 'late', version: 1, variant: 'v1', protocol: 'v1', fallback: false, createdAt: m.at, latencyMs: 1, score: m.score, label: m.score >= 0.5 ? 1 : 0 });
    }
    await recorder.flush();
    await t.app.get(PredictionBuckets).flush();
    // Every early prediction is labelled now, hours late; a tenth of the recent ones.
    const labelled = [...early, ...recent.filter((_, i) => i % 10 === 0)];
    const res = await inject(t, 'POST', '/v1/feedback', labelled.map((m) => ({ prediction_id: m.id, label: m.label })), { 'content-type': 'application/json' });
    expect(res.json().accepted).toBe(labelled.length);
    await t.app.get(LabelJoiner).run();
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const performance = async (from: number, to: number, query = '') => {
    const res = await t.http.get(`/api/v1/models/late/performance?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}${query}`).set(t.admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  it('counts a late label in the bucket of its prediction, not of its arrival', async () => {
    const body = await performance(now - 3 * HOUR_MS, now + MINUTE_MS, '&bucket=3600');
    const s = body.series[0];
    expect(s.window).toMatchObject({ predictions: 900, labels: 630 });
    const cut = Math.floor((now - HOUR_MS) / HOUR_MS) * HOUR_MS;
    const labels = (keep: (start: number) => boolean) =>
      s.buckets.filter((b: { window_start: string }) => keep(Date.parse(b.window_start))).reduce((n: number, b: { labels: number }) => n + b.labels, 0);
    expect(labels((start) => start < cut)).toBe(600);
    expect(labels((start) => start >= cut)).toBe(30);
  });

  it("is exact up to an hour: the AUC scikit-learn's rank formula gives on the same rows, with no error bound", async () => {
    const from = early[0].at - 1;
    const body = await performance(from, from + HOUR_MS - MINUTE_MS);
    expect(body.exact).toBe(true);
    const w = body.series[0].window;
    expect(w.labels).toBe(600);
    expect(w.auc_error_bound).toBe(0);
    expect(Math.abs(w.auc - rocAuc(early.map((m) => m.label), early.map((m) => m.score)))).toBeLessThan(1e-12);
  });

  it('reads longer ranges from labelled-score histograms and reports how far their AUC may be off', async () => {
    const body = await performance(now - 3 * HOUR_MS, now + MINUTE_MS);
    expect(body.exact).toBe(false);
    const w = body.series[0].window;
    const all = [...early, ...recent.filter((_, i) => i % 10 === 0)];
    const exact = rocAuc(all.map((m) => m.label), all.map((m) => m.score));
    expect(w.auc_error_bound).toBeGreaterThan(0);
    expect(w.auc_error_bound).toBeLessThanOrEqual(1e-3);
    expect(Math.abs(w.auc - exact)).toBeLessThanOrEqual(w.auc_error_bound);
  });

  it('answers from buckets while the prediction log itself is locked', async () => {
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE predictions, shadow_predictions IN ACCESS EXCLUSIVE MODE');
      const body = await performance(now - 3 * HOUR_MS, now + MINUTE_MS, '&bucket=3600');
      expect(body.series[0].window.predictions).toBe(900);
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
  });

  it('answers 503 QUERY_TIMEOUT, not INTERNAL, when a read runs past its limit', async () => {
    const locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE label_buckets IN ACCESS EXCLUSIVE MODE');
      const res = await t.http.get(`/api/v1/models/late/performance?from=${new Date(now - HOUR_MS).toISOString()}`).set(t.admin);
      expect(res.status).toBe(503);
      expect(res.body.error.code).toBe('QUERY_TIMEOUT');
      expect(res.headers['retry-after']).toBeDefined();
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
  });

  it("shows on the gauges the latest window with min_labels, and which window it is", async () => {
    await t.app.get(PerformanceGauges).refresh(now + 10 * MINUTE_MS);
    const start = await scrape(t, 'modelgate_model_auc_window_start_seconds{model="late",version="1",variant="v1"}');
    // The recent windows hold 30 labels, under min_labels: the gauge shows the last early window with 100 or more.
    const windowOf = (at: number) => Math.floor(at / 300_000) * 300;
    const candidates = [...new Set(early.map((m) => windowOf(m.at)))].filter((w) => early.filter((m) => windowOf(m.at) === w).length >= 100);
    expect(start).toBe(Math.max(...candidates));
    const inWindow = early.filter((m) => windowOf(m.at) === start);
    expect(await scrape(t, 'modelgate_model_labels_total{model="late",version="1",variant="v1"}')).toBe(inWindow.length);
    const auc = await scrape(t, 'modelgate_model_auc{model="late",version="1",variant="v1"}');
    expect(Math.abs(auc! - rocAuc(inWindow.map((m) => m.label), inWindow.map((m) => m.score)))).toBeLessThan(1e-9);
  });

  it('keeps the 1,000-bin histogram of every prediction score for estimates', async () => {
    const h = await t.app.get(PerformanceReader).predictionScoreHistogram('late', 1, 'v1', new Date(now - 3 * HOUR_MS), new Date(now + MINUTE_MS));
    expect(h).toMatchObject({ predictions: 900, scored: 900 });
    expect(h.bins).toHaveLength(1000);
    expect(h.bins.reduce((a, b) => a + b, 0)).toBe(900);
    const m = early[5];
    expect(h.bins[Math.floor(m.score * 1000)]).toBeGreaterThan(0);
    expect(await withClient(db.url, async (c) => (await c.query(`SELECT count(*)::int AS n FROM pending_labels`)).rows[0].n)).toBe(0);
  });
});
