import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PerformanceGauges } from '../src/monitoring/performance/performance-gauges.js';
import { PerformanceReader } from '../src/monitoring/performance/performance-reader.js';
import { rocAuc } from '../src/monitoring/stats/roc-auc.js';
import { uuidMs } from '../src/monitoring/telemetry/partition-bounds.js';
import { PredictionRecorder } from '../src/monitoring/telemetry/prediction-recorder.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { readExpected, readFixtureCsv } from './support/onnx-fixtures.js';
import { createModel, fixture, uploadOk } from './support/registry.js';
import { inject, instanceOf } from './support/serving.js';

const REFERENCE = path.join(import.meta.dirname, 'reference');
const sk = JSON.parse(fs.readFileSync(path.join(REFERENCE, 'performance.json'), 'utf8'));
const pROC = JSON.parse(fs.readFileSync(path.join(REFERENCE, 'delong.json'), 'utf8')).loan_default;
const expected = readExpected('loan_default_xgb.expected.json') as { p1: number[]; feature_names: string[]; valid_auc: number };
const test = readFixtureCsv('loan_default_xgb.test.csv');

interface Sent {
  id: string;
  row: number;
}

/** Predicts `rows` of the test set on a pinned version, in batches; returns each row's prediction id. */
async function predict(t: TestApp, model: string, version: number, rows: number[]): Promise<Sent[]> {
  const sent: Sent[] = [];
  for (let i = 0; i < rows.length; i += 500) {
    const chunk = rows.slice(i, i + 500);
    const body = { instances: chunk.map((r) => instanceOf(test.header, test.data, r)) };
    // A pinned version is loaded on first use: LOADING until it is warm.
    const res = await eventually(async () => {
      const r = await inject(t, 'POST', `/v1/models/${model}/versions/${version}/predict`, body, { 'content-type': 'application/json' });
      if (r.statusCode !== 200 && r.statusCode !== 503) throw new Error(r.body);
      return r.statusCode === 200 ? r : undefined;
    }, 30_000);
    const preds = res!.json().predictions as { prediction_id: string; score: number }[];
    preds.forEach((p, k) => {
      // The served scores equal the fixture's to float32 rounding (about half differ in the last bits,
      // which moves a tie or two): hence PRODUCT.md's 1e-6 agreement with scikit-learn, not bit equality.
      expect(Math.abs(p.score - expected.p1[chunk[k]])).toBeLessThan(1e-6);
      sent.push({ id: p.prediction_id, row: chunk[k] });
    });
  }
  return sent;
}

async function label(t: TestApp, items: { prediction_id: string; label: number; outcomes?: Record<string, number> }[]) {
  for (let i = 0; i < items.length; i += 1000) {
    const res = await inject(t, 'POST', '/v1/feedback', items.slice(i, i + 1000), { 'content-type': 'application/json' });
    expect(res.statusCode).toBe(200);
    expect(res.json().accepted).toBe(Math.min(1000, items.length - i));
  }
}

async function scrape(t: TestApp, series: string): Promise<number | undefined> {
  const res = await t.http.get('/metrics').expect(200);
  const line = res.text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('live performance of loan_default_xgb from posted labels', () => {
  let db: TestDatabase;
  let t: TestApp;
  let from: Date;
  let v1Sent: Sent[] = [];
  let v2Sent: Sent[] = [];
  const all = Array.from({ length: test.rows }, (_, i) => i);

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_TELEMETRY_FLUSH_MS: '50', MODELGATE_MONITOR_FLUSH_MS: '100' } });
    from = new Date(Date.now() - 60_000);
    for (const name of ['loan', 'loan-ab']) {
      // Hour-long monitoring windows: the gauges show one window, and this suite's traffic fits in one or two.
      await createModel(t, name, 'binary_classification', { monitoring_policy: { window_seconds: 3600 } });
      for (let v = 0; v < 2; v++) {
        await uploadOk(t, name, {
          file: fixture('loan_default_xgb.onnx'),
          metadata: { feature_names: expected.feature_names, categorical_features: ['region', 'product'], metrics: { auc: expected.valid_auc } },
        });
      }
      // Routed versions are loaded and warm; the test then pins each request to one of them.
      const traffic = await t.http.put(`/api/v1/models/${name}/traffic`).set(t.admin).send({ routes: [{ version: 1, weight: 50 }, { version: 2, weight: 50 }], reason: 'test' });
      expect(traffic.status, JSON.stringify(traffic.body)).toBe(200);
    }
    await eventually(async () => (await t.http.get('/health/ready')).status === 200, 60_000);
    // loan: every test row on v1 with its true label, and again on v2 with half the labels flipped.
    const v1 = await predict(t, 'loan', 1, all);
    // Labels posted before the records are flushed are kept and join once the records land.
    await label(t, v1.map((s) => ({ prediction_id: s.id, label: test.labels[s.row], outcomes: { revenue: s.row % 7 } })));
    const v2 = await predict(t, 'loan', 2, all);
    await label(t, v2.map((s) => ({ prediction_id: s.id, label: s.row % 2 === 1 ? 1 - test.labels[s.row] : test.labels[s.row] })));
    // loan-ab: even rows to v1 with true labels, odd rows to v2 with every fiftieth of them flipped (the R reference's rule).
    const a = await predict(t, 'loan-ab', 1, all.filter((r) => r % 2 === 0));
    const b = await predict(t, 'loan-ab', 2, all.filter((r) => r % 2 === 1));
    await label(t, a.map((s) => ({ prediction_id: s.id, label: test.labels[s.row] })));
    await label(t, b.map((s, k) => ({ prediction_id: s.id, label: k % 50 === 0 ? 1 - test.labels[s.row] : test.labels[s.row] })));
    v1Sent = v1;
    v2Sent = v2;
    await t.app.get(PredictionRecorder).flush();
    // Every label joined (labels posted before their records were flushed join through the joiner) and every bucket flushed.
    await eventually(
      async () => {
        const n = (await withClient(db.url, (c) => c.query(`SELECT count(*)::int AS n FROM labelled_predictions`))).rows[0].n;
        if (n !== 3 * test.rows) throw new Error(`${n} labels joined`);
        const p = (await withClient(db.url, (c) => c.query(`SELECT coalesce(sum(predictions), 0)::int AS n FROM prediction_buckets WHERE grain = 60`))).rows[0].n;
        if (p !== 3 * test.rows) throw new Error(`${p} predictions in buckets`);
        return true;
      },
      30_000,
    );
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const performance = async (model: string, query = '') => {
    const res = await t.http.get(`/api/v1/models/${model}/performance?from=${from.toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}${query}`).set(t.admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  it("reports the AUC, log loss and accuracy scikit-learn computes on the same rows with their true labels", async () => {
    const body = await performance('loan', '&version=1');
    expect(body.series).toHaveLength(1);
    const s = body.series[0];
    expect(s).toMatchObject({ version: 1, variant: 'v1', validation: { auc: expected.valid_auc } });
    expect(s.window.predictions).toBe(6000);
    expect(s.window.labels).toBe(6000);
    expect(s.window.label_rate).toBe(1);
    expect(Math.abs(s.window.auc - sk.true_labels.auc)).toBeLessThan(1e-6);
    expect(Math.abs(s.window.log_loss - sk.true_labels.log_loss)).toBeLessThan(1e-6);
    expect(s.window.accuracy).toBeCloseTo(sk.true_labels.accuracy, 12);
    expect(s.window.positive_rate).toBeCloseTo(sk.true_labels.positive_rate, 12);
    expect(s.window.mean_predicted).toBeCloseTo(sk.true_labels.mean_predicted, 9);
  });

  it('drops to the AUC scikit-learn gives when half the labels are flipped', async () => {
    const s = (await performance('loan', '&version=2')).series[0];
    expect(Math.abs(s.window.auc - sk.half_flipped.auc)).toBeLessThan(1e-6);
    expect(Math.abs(s.window.log_loss - sk.half_flipped.log_loss)).toBeLessThan(1e-6);
    expect(s.window.auc).toBeLessThan(0.55);
  });

  it("gives the DeLong p-value and interval R's pROC gives for two variants", async () => {
    const body = await performance('loan-ab');
    expect(body.series.map((s: { variant: string }) => s.variant)).toEqual(['v1', 'v2']);
    expect(body.series.map((s: { window: { labels: number } }) => s.window.labels)).toEqual([3000, 3000]);
    const [c] = body.comparisons;
    expect(c).toMatchObject({ method: 'delong', a: { version: 1, labels: 3000 }, b: { version: 2, labels: 3000 } });
    expect(Math.abs(c.auc_a - pROC.auc1)).toBeLessThan(1e-6);
    expect(Math.abs(c.auc_b - pROC.auc2)).toBeLessThan(1e-6);
    expect(Math.abs(c.p_value - pROC.p_value)).toBeLessThan(1e-6);
    expect(Math.abs(c.ci95[0] - pROC.ci[0])).toBeLessThan(1e-6);
    expect(Math.abs(c.ci95[1] - pROC.ci[1])).toBeLessThan(1e-6);
  });

  it('buckets by prediction time, a bucket rounded up to a whole minute, and reports business outcomes per series', async () => {
    const body = await performance('loan', '&version=1&bucket=1');
    expect(body.bucket_seconds).toBe(60);
    expect(body.exact).toBe(true);
    const s = body.series[0];
    expect(s.buckets.length).toBeGreaterThan(0);
    expect(s.buckets.reduce((n: number, b: { labels: number }) => n + b.labels, 0)).toBe(6000);
    expect(s.buckets.reduce((n: number, b: { predictions: number }) => n + b.predictions, 0)).toBe(6000);
    for (const b of s.buckets) expect(new Date(b.window_end).getTime() - new Date(b.window_start).getTime()).toBe(60_000);
    // Each minute's AUC is the exact AUC of the rows predicted in it.
    for (const b of s.buckets) {
      const rows = v1Sent.filter((x) => uuidMs(x.id) >= Date.parse(b.window_start) && uuidMs(x.id) < Date.parse(b.window_end)).map((x) => x.row);
      expect(rows.length).toBe(b.predictions);
      const ref = rocAuc(rows.map((r) => test.labels[r]), rows.map((r) => expected.p1[r]));
      if (Number.isFinite(ref)) expect(Math.abs(b.auc - ref)).toBeLessThan(1e-6);
    }
    const revenue = all.map((r) => r % 7);
    const mean = revenue.reduce((a, b) => a + b, 0) / revenue.length;
    expect(s.outcomes.revenue.count).toBe(6000);
    expect(s.outcomes.revenue.mean).toBeCloseTo(mean, 12);
    expect(s.outcomes.revenue.ci95[0]).toBeLessThan(mean);
    expect(s.outcomes.revenue.ci95[1]).toBeGreaterThan(mean);
  });

  it('exports the window metrics alerting reads, per series and bucket', async () => {
    const rows = await t.app.get(PerformanceReader).windowMetrics('loan', from, new Date(Date.now() + 60_000), 86_400);
    const v1 = rows.filter((r) => r.version === 1);
    expect(v1.reduce((n, r) => n + r.labels, 0)).toBe(6000);
    expect(v1[0]).toMatchObject({ model: 'loan', variant: 'v1', validation_auc: expected.valid_auc, rmse: null });
  });

  it('exports AUC, validation AUC, label counts and the below-bar flag of the latest window with enough labels, and says which window', async () => {
    await t.app.get(PerformanceGauges).refresh();
    const start = await scrape(t, 'modelgate_model_auc_window_start_seconds{model="loan",version="1",variant="v1"}');
    expect(start! % 3600).toBe(0);
    // The rows of that hour (all of them unless the suite straddled an hour), with their true labels.
    const inWindow = (sent: Sent[], at = start) => sent.filter((x) => Math.floor(uuidMs(x.id) / 3_600_000) * 3600 === at).map((x) => x.row);
    const rows = inWindow(v1Sent);
    const ref = rows.length === test.rows ? sk.true_labels.auc : rocAuc(rows.map((r) => test.labels[r]), rows.map((r) => expected.p1[r]));
    expect(Math.abs((await scrape(t, 'modelgate_model_auc{model="loan",version="1",variant="v1"}'))! - ref)).toBeLessThan(1e-6);
    expect(await scrape(t, 'modelgate_model_validation_auc{model="loan",version="1"}')).toBe(expected.valid_auc);
    const start2 = await scrape(t, 'modelgate_model_auc_window_start_seconds{model="loan",version="2",variant="v2"}');
    expect(await scrape(t, 'modelgate_model_labels_total{model="loan",version="2",variant="v2"}')).toBe(inWindow(v2Sent, start2).length);
    expect(await scrape(t, 'modelgate_model_auc_below_bar{model="loan",version="1",variant="v1"}')).toBe(0);
    expect(await scrape(t, 'modelgate_model_auc_below_bar{model="loan",version="2",variant="v2"}')).toBe(1);
  });

  it('answers 404 for an unknown model and 400 for a reversed window', async () => {
    expect((await t.http.get('/api/v1/models/nope/performance').set(t.admin)).body.error.code).toBe('MODEL_NOT_FOUND');
    const res = await t.http.get(`/api/v1/models/loan/performance?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z`).set(t.admin);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
  });
});
