import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertEvaluator } from '../src/alerting/alert-evaluator.js';
import { MINUTE_MS } from '../src/monitoring/buckets/bucket-grid.js';
import { PredictionBuckets } from '../src/monitoring/buckets/prediction-buckets.js';
import { estimatePerformance } from '../src/monitoring/estimate/cbpe.js';
import { PerformanceGauges } from '../src/monitoring/performance/performance-gauges.js';
import { PredictionPartitions } from '../src/monitoring/telemetry/prediction-partitions.js';
import { PredictionRecorder } from '../src/monitoring/telemetry/prediction-recorder.js';
import { scoreHistogram } from '../src/monitoring/estimate/score-histogram.js';
import { VersionBaselines } from '../src/monitoring/live/version-baselines.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createModel, fixture, fixtureBytes, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';
import { uuidv7At } from './support/uuid-at.js';

/**
 * Calibration is computed at upload from the labelled baseline, stored with
 * the version and read back for CBPE: the loan fixture's validation rows
 * scored by the service itself give the same calibration error as NumPy
 * (test/reference/cbpe.json), and estimates from the stored calibration
 * cover the realised AUC of the test rows.
 */
const expected = JSON.parse(fixtureBytes('loan_default_xgb.expected.json').toString('utf8'));
const metadata = { feature_names: expected.feature_names, categorical_features: expected.categorical_features };
const ref = JSON.parse(readFileSync(new URL('./reference/cbpe.json', import.meta.url), 'utf8'));

/** The validation CSV with every label flipped: the scores stay, so they are as miscalibrated as can be. */
function flippedBaseline(): Buffer {
  const [header, ...lines] = fixtureBytes('loan_default_xgb.valid.csv').toString('utf8').trim().split('\n');
  const at = header.split(',').indexOf('label');
  const flipped = lines.map((l) => {
    const v = l.split(',');
    v[at] = String(1 - Number(v[at]));
    return v.join(',');
  });
  return Buffer.from([header, ...flipped].join('\n') + '\n');
}

describe('version calibration for estimates', () => {
  let db: TestDatabase;
  let t: TestApp;
  let store: VersionBaselines;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
    store = t.app.get(VersionBaselines);
    await createModel(t, 'loan');
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('computes the calibration of a labelled binary baseline at upload, reports its error on the version and keeps the histogram', async () => {
    const v = await uploadOk(t, 'loan', { file: fixture('loan_default_xgb.onnx'), baseline: fixture('loan_default_xgb.valid.csv'), metadata });
    expect(v.calibration_error).toBeCloseTo(ref.baseline.ece, 6);
    const calibration = await store.calibration('loan', v.version);
    expect(calibration).toMatchObject({ bins: 1000, rows: 6000, positives: ref.baseline.positives });
    const all = ref.windows.find((w: { name: string }) => w.name === 'all');
    const estimate = estimatePerformance(calibration, scoreHistogram(expected.p1), { maxEce: t.config.monitoring.cbpeMaxEce });
    expect(estimate.estimated).toBe(true);
    if (!estimate.estimated) return;
    expect(all.realised.auc).toBeGreaterThanOrEqual(estimate.estimated_auc!.low);
    expect(all.realised.auc).toBeLessThanOrEqual(estimate.estimated_auc!.high);
  });

  it('stores a calibration that refuses estimates when the baseline labels contradict the scores', async () => {
    const v = await uploadOk(t, 'loan', { file: fixture('loan_default_xgb.onnx'), baseline: flippedBaseline(), metadata });
    expect(v.calibration_error).toBeGreaterThan(0.5);
    const estimate = estimatePerformance(await store.calibration('loan', v.version), scoreHistogram(expected.p1));
    expect(estimate).toMatchObject({ estimated: false, reason: 'poorly_calibrated' });
  });

  it('keeps no calibration without a baseline, and says so when asked for an estimate', async () => {
    const v = await uploadOk(t, 'loan', { file: fixture('loan_default_xgb.onnx'), metadata });
    expect(v.calibration_error).toBeNull();
    expect(await store.calibration('loan', v.version)).toBeNull();
    expect(await store.calibration('loan', 99)).toBeUndefined();
    expect(estimatePerformance(null, scoreHistogram(expected.p1))).toMatchObject({ estimated: false, reason: 'no_calibration' });
  });
});

/** The loan fixture's test labels, in the order of `expected.p1`. */
function testLabels(): number[] {
  const [header, ...lines] = fixtureBytes('loan_default_xgb.test.csv').toString('utf8').trim().split('\n');
  const at = header.split(',').indexOf(expected.label_column);
  return lines.map((l) => Number(l.split(',')[at]));
}

/**
 * The estimates wired into the monitor: the loan model's test scores,
 * served by a version with a calibrated baseline and one without, show up
 * as `estimated_*` fields in /performance (only for the calibrated one),
 * as `modelgate_model_estimated_auc` in /metrics, and page through the
 * `estimated_auc` rule when its bar is above the whole band.
 */
describe('estimates in performance, gauges and alerts', () => {
  let db: TestDatabase;
  let t: TestApp;
  const windowMs = 5 * MINUTE_MS;
  const now = Date.now();
  // The scores fall in one window that has ended (so gauges and the rule read it).
  const windowStart = Math.floor(now / windowMs) * windowMs - 2 * windowMs;
  const labels = testLabels();
  const ids = { 1: [] as string[], 2: [] as string[] };

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_TELEMETRY_FLUSH_MS: '50', MODELGATE_MONITOR_FLUSH_MS: '100' } });
    await t.app.get(PredictionPartitions).ensureDay(windowStart);
    await createModel(t, 'loan', 'binary_classification', { monitoring_policy: { window_seconds: 300, estimated_auc_min: 0.999, for_windows: 1 } });
    await uploadOk(t, 'loan', { file: fixture('loan_default_xgb.onnx'), baseline: fixture('loan_default_xgb.valid.csv'), metadata });
    await uploadOk(t, 'loan', { file: fixture('loan_default_xgb.onnx'), metadata });
    await setAlias(t, 'loan', 'production', 1);
    await setAlias(t, 'loan', 'candidate', 2);
    const recorder = t.app.get(PredictionRecorder);
    for (const version of [1, 2] as const) {
      expected.p1.forEach((score: number, i: number) => {
        const at = windowStart + Math.floor((i * (windowMs - 1000)) / expected.p1.length);
        const id = uuidv7At(at);
        ids[version].push(id);
        recorder.record({ id, model: 'loan', version, variant: `v${version}`, protocol: 'v1', fallback: false, createdAt: at, latencyMs: 1, score, label: score >= 0.5 ? 1 : 0 });
      });
    }
    await recorder.flush();
    await t.app.get(PredictionBuckets).flush();
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const performance = async () => {
    const res = await t.http.get(`/api/v1/models/loan/performance?from=${new Date(windowStart).toISOString()}&to=${new Date(windowStart + windowMs).toISOString()}&bucket=300`).set(t.admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  it('shows estimated AUC, accuracy and positive rate with their bands for the calibrated version, before any label', async () => {
    const body = await performance();
    const v1 = body.series.find((s: { version: number }) => s.version === 1);
    expect(v1.estimate).toMatchObject({ available: true, max_calibration_error: t.config.monitoring.cbpeMaxEce });
    expect(v1.window.labels).toBe(0);
    for (const field of ['estimated_auc', 'estimated_accuracy', 'estimated_positive_rate']) {
      const b = v1.window[field];
      expect(b.low, field).toBeLessThanOrEqual(b.value);
      expect(b.high, field).toBeGreaterThanOrEqual(b.value);
      expect(v1.buckets[0][field], field).toEqual(b);
    }
    expect(v1.window.estimated_auc.value).toBeGreaterThan(0.9);
  });

  it('omits the estimated fields for a version without calibration, and says why', async () => {
    const v2 = (await performance()).series.find((s: { version: number }) => s.version === 2);
    expect(v2.window.predictions).toBe(expected.p1.length);
    expect(v2.estimate).toMatchObject({ available: false, reason: 'no_calibration' });
    for (const field of ['estimated_auc', 'estimated_accuracy', 'estimated_positive_rate']) {
      expect(v2.window, field).not.toHaveProperty(field);
      expect(v2.buckets[0], field).not.toHaveProperty(field);
    }
  });

  it('puts the realised AUC inside the estimated band once the labels arrive', async () => {
    const items = ids[1].map((id, i) => ({ prediction_id: id, label: labels[i] }));
    for (let i = 0; i < items.length; i += 1000) {
      const res = await inject(t, 'POST', '/v1/feedback', items.slice(i, i + 1000), { 'content-type': 'application/json' });
      expect(res.json().accepted).toBe(Math.min(1000, items.length - i));
    }
    const v1 = await eventually(async () => {
      const s = (await performance()).series.find((x: { version: number }) => x.version === 1);
      expect(s.window.labels).toBe(items.length);
      return s;
    });
    expect(v1.window.auc).toBeCloseTo(ref.windows.find((w: { name: string }) => w.name === 'all').realised.auc, 6);
    expect(v1.window.auc).toBeGreaterThanOrEqual(v1.window.estimated_auc.low);
    expect(v1.window.auc).toBeLessThanOrEqual(v1.window.estimated_auc.high);
  });

  it('exports modelgate_model_estimated_auc with its band for the calibrated series only', async () => {
    await t.app.get(PerformanceGauges).refresh();
    const text = (await t.http.get('/metrics').expect(200)).text;
    const value = (name: string, version: number) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes('model="loan"') && l.includes(`version="${version}"`));
      return line === undefined ? undefined : Number(line.split(' ').pop());
    };
    const auc = value('modelgate_model_estimated_auc', 1)!;
    expect(auc).toBeGreaterThan(0.9);
    expect(value('modelgate_model_estimated_auc_low', 1)).toBeLessThan(auc);
    expect(value('modelgate_model_estimated_auc_high', 1)).toBeGreaterThan(auc);
    expect(value('modelgate_model_estimated_auc', 2)).toBeUndefined();
  });

  it('fires the estimated_auc rule when its bar is above the whole band, for the calibrated version only', async () => {
    await t.app.get(AlertEvaluator).run();
    const alerts = (await t.http.get('/api/v1/alerts').set(t.admin).expect(200)).body;
    const list = (alerts.alerts ?? alerts.items ?? alerts) as { rule: string; version: number; status?: string; summary: string }[];
    const fired = list.filter((a) => a.rule === 'estimated_auc');
    expect(fired.map((a) => a.version)).toEqual([1]);
    expect(fired[0].summary).toMatch(/estimated AUC .* bar 0\.9990/);
  });
});
