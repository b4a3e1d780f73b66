import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PredictionRecorder } from '../src/monitoring/telemetry/prediction-recorder.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { readFixtureCsv } from './support/onnx-fixtures.js';
import { createModel, fixture, uploadOk } from './support/registry.js';
import { inject, instanceOf } from './support/serving.js';

/**
 * Issue 26, "Skew shows": performance split by where a prediction's
 * features came from. Rows of the breast cancer test set are served three
 * ways through one version with an online_features block: every feature
 * sent (`sent`), only the patient id with the rest looked up in the store,
 * and an unknown patient whose mean_area comes from its default policy
 * (both `looked_up`). The looked-up rows get every third label flipped (the
 * skew), so the two sources' AUCs differ; the expected AUC of each is
 * computed here from the served scores, by Mann-Whitney.
 */

const csv = readFixtureCsv('breast_cancer_xgb.test.csv');
const NAMES = csv.header;
const LOOKED_UP = ['mean_radius', 'mean_texture', 'mean_area'];
const VIEW = { name: 'tumour_profile', entities: ['patient_id'], features: { mean_radius: 'float', mean_texture: 'float', mean_area: 'float' }, ttl_s: 3600 };
const BLOCK = {
  timeout_ms: 500,
  entities: ['patient_id'],
  features: { mean_radius: 'tumour_profile:mean_radius', mean_texture: 'tumour_profile:mean_texture', mean_area: { ref: 'tumour_profile:mean_area', on_missing: 'default', default: 650 } },
};
const SENT_ROWS = [...Array(80).keys()];
const STORE_ROWS = [...Array(80).keys()].map((i) => 80 + i);
const DEFAULT_ROWS = [...Array(11).keys()].map((i) => 160 + i);

const full = (i: number) => instanceOf(NAMES, csv.data, i);
const keyed = (i: number) => {
  const row: Record<string, unknown> = { patient_id: `p-${i}`, ...full(i) };
  for (const f of LOOKED_UP) delete row[f];
  return row;
};
/** mean_area left out for a patient the store does not hold: served by the default policy. */
const defaulted = (i: number) => {
  const row: Record<string, unknown> = { patient_id: `nobody-${i}`, ...full(i) };
  delete row.mean_area;
  return row;
};

/** AUC as the Mann-Whitney U statistic over every positive-negative pair, ties counting a half. */
function mannWhitneyAuc(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  for (let i = 0; i < scores.length; i++) {
    if (labels[i] !== 1) continue;
    for (let j = 0; j < scores.length; j++) {
      if (labels[j] !== 0) continue;
      pairs++;
      wins += scores[i] > scores[j] ? 1 : scores[i] === scores[j] ? 0.5 : 0;
    }
  }
  return wins / pairs;
}

interface Served {
  id: string;
  score: number;
  label: number;
}

describe('performance split by feature source', () => {
  let db: TestDatabase;
  let t: TestApp;
  let from: Date;
  const sent: Served[] = [];
  const looked: Served[] = [];

  const predict = async (instances: unknown[]) => {
    const res = await inject(t, 'POST', '/v1/models/skew/predict', { instances });
    expect(res.statusCode, res.body).toBe(200);
    return res.json().predictions as { prediction_id: string; score: number }[];
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_TELEMETRY_FLUSH_MS: '50', MODELGATE_MONITOR_FLUSH_MS: '100' } });
    from = new Date(Date.now() - 60_000);
    await t.http.post('/api/v1/feature-views').set(t.admin).send(VIEW).expect(201);
    await t.http
      .put('/api/v1/feature-views/tumour_profile/rows')
      .set(t.admin)
      .send({ rows: STORE_ROWS.map((i) => ({ patient_id: `p-${i}`, ...Object.fromEntries(LOOKED_UP.map((f) => [f, full(i)[f]])), event_time: new Date().toISOString() })) })
      .expect(200);
    await createModel(t, 'skew');
    // Version 2 shadows version 1: its copies are served the same filled values, so they keep the live prediction's source.
    for (let v = 0; v < 2; v++) await uploadOk(t, 'skew', { file: fixture('breast_cancer_xgb.onnx'), metadata: { online_features: BLOCK } });
    const traffic = await t.http.put('/api/v1/models/skew/traffic').set(t.admin).send({ routes: [{ version: 1, weight: 100 }], shadow: [2], reason: 'test' });
    expect(traffic.status, JSON.stringify(traffic.body)).toBe(200);
    await eventually(async () => (await t.http.get('/health/ready')).status === 200, 60_000);

    // Sent: every feature from the caller; the first ten also carry a patient id, which changes nothing.
    const a = await predict(SENT_ROWS.map((i) => (i < 10 ? { patient_id: `p-${i}`, ...full(i) } : full(i))));
    a.forEach((p, k) => sent.push({ id: p.prediction_id, score: p.score, label: csv.labels[SENT_ROWS[k]] }));
    // Looked up: from the store, or by the default policy; every third label flipped.
    const b = await predict(STORE_ROWS.map(keyed));
    const c = await predict(DEFAULT_ROWS.map(defaulted));
    [...b, ...c].forEach((p, k) => {
      const truth = csv.labels[[...STORE_ROWS, ...DEFAULT_ROWS][k]];
      looked.push({ id: p.prediction_id, score: p.score, label: k % 3 === 0 ? 1 - truth : truth });
    });
    // Shadow copies must be stored before their labels arrive, or the labels join the live records only.
    await eventually(
      async () => {
        await t.app.get(PredictionRecorder).flush();
        const n = (await withClient(db.url, (q) => q.query(`SELECT count(*)::int AS n FROM shadow_predictions WHERE error IS NULL`))).rows[0].n;
        return n === sent.length + looked.length;
      },
      30_000,
      50,
    );
    const res = await inject(t, 'POST', '/v1/feedback', [...sent, ...looked].map((s) => ({ prediction_id: s.id, label: s.label })));
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().accepted).toBe(sent.length + looked.length);
    await eventually(
      async () => {
        const n = (await withClient(db.url, (q) => q.query(`SELECT count(*)::int AS n FROM labelled_predictions`))).rows[0].n;
        const p = (await withClient(db.url, (q) => q.query(`SELECT coalesce(sum(predictions), 0)::int AS n FROM prediction_buckets WHERE grain = 60`))).rows[0].n;
        return n === 2 * (sent.length + looked.length) && p === 2 * (sent.length + looked.length);
      },
      30_000,
      50,
    );
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const performance = async (query: string) =>
    t.http.get(`/api/v1/models/skew/performance?from=${from.toISOString()}&to=${new Date(Date.now() + 60_000).toISOString()}${query}`).set(t.admin);

  it('answers counts and AUC per source equal to Mann-Whitney on the served scores and posted labels, for the live and the shadow series', async () => {
    const res = await performance('&split=feature_source');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const body = res.body;
    expect(body.split).toBe('feature_source');
    expect(body.series).toBeUndefined();
    expect(Object.keys(body.feature_sources).sort()).toEqual(['looked_up', 'sent']);
    const expectedAuc = { sent: mannWhitneyAuc(sent.map((s) => s.score), sent.map((s) => s.label)), looked_up: mannWhitneyAuc(looked.map((s) => s.score), looked.map((s) => s.label)) };
    expect(expectedAuc.looked_up).toBeLessThan(expectedAuc.sent - 0.1);
    for (const [source, rows] of [['sent', sent], ['looked_up', looked]] as const) {
      const part = body.feature_sources[source];
      expect(part.series.map((s: { version: number; variant: string }) => `${s.variant}@${s.version}`)).toEqual(['v1@1', 'shadow@2']);
      for (const s of part.series) {
        expect(s.window).toMatchObject({ predictions: rows.length, labels: rows.length, label_rate: 1, auc_error_bound: 0 });
        expect(Math.abs(s.window.auc - expectedAuc[source])).toBeLessThan(1e-6);
        expect(s.buckets.reduce((n: number, b: { predictions: number }) => n + b.predictions, 0)).toBe(rows.length);
        expect(s.window.positive_rate).toBeCloseTo(rows.filter((r) => r.label === 1).length / rows.length, 12);
      }
      // Between the live series and its shadow, within one source: the same scores, so no difference.
      expect(part.comparisons).toHaveLength(1);
      expect(part.comparisons[0]).toMatchObject({ method: 'delong', a: { version: 1, variant: 'v1', labels: rows.length }, b: { version: 2, variant: 'shadow', labels: rows.length } });
      expect(Math.abs(part.comparisons[0].difference)).toBeLessThan(1e-9);
    }
    expect(body.source_comparisons.map((c: { version: number; variant: string }) => `${c.variant}@${c.version}`)).toEqual(['v1@1', 'shadow@2']);
    for (const c of body.source_comparisons) {
      expect(c).toMatchObject({ method: 'delong', a: { feature_source: 'looked_up', labels: looked.length }, b: { feature_source: 'sent', labels: sent.length } });
      expect(Math.abs(c.auc_a - expectedAuc.looked_up)).toBeLessThan(1e-6);
      expect(Math.abs(c.auc_b - expectedAuc.sent)).toBeLessThan(1e-6);
      expect(c.difference).toBeLessThan(0);
      expect(c.p_value).toBeGreaterThanOrEqual(0);
    }
  });

  it('answers the figures of every prediction together, in the unsplit shape, without the parameter', async () => {
    const res = await performance('');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.split).toBeUndefined();
    expect(res.body.feature_sources).toBeUndefined();
    expect(res.body.source_comparisons).toBeUndefined();
    const all = [...sent, ...looked];
    const live = res.body.series.find((s: { variant: string }) => s.variant === 'v1');
    expect(live.window).toMatchObject({ predictions: all.length, labels: all.length });
    expect(Math.abs(live.window.auc - mannWhitneyAuc(all.map((s) => s.score), all.map((s) => s.label)))).toBeLessThan(1e-6);
  });

  it('splits histogram-read ranges past an hour the same way, within their error bound', async () => {
    const to = new Date(Date.now() + 60_000);
    const res = await t.http.get(`/api/v1/models/skew/performance?from=${new Date(to.getTime() - 3 * 3_600_000).toISOString()}&to=${to.toISOString()}&split=feature_source`).set(t.admin);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.exact).toBe(false);
    const live = res.body.feature_sources.looked_up.series.find((s: { variant: string }) => s.variant === 'v1');
    expect(live.window).toMatchObject({ predictions: looked.length, labels: looked.length });
    expect(Math.abs(live.window.auc - mannWhitneyAuc(looked.map((s) => s.score), looked.map((s) => s.label)))).toBeLessThanOrEqual(live.window.auc_error_bound + 1e-9);
  });

  it('documents the split parameter and its one value in the OpenAPI document', async () => {
    const doc = await t.http.get('/docs-json').expect(200);
    const params = doc.body.paths['/api/v1/models/{name}/performance'].get.parameters as { name: string; schema?: { enum?: string[] }; description?: string }[];
    const split = params.find((p) => p.name === 'split');
    expect(split?.schema?.enum).toEqual(['feature_source']);
    expect(split?.description).toMatch(/looked_up/);
  });

  it('refuses an unknown split with 400 VALIDATION_FAILED naming the parameter', async () => {
    for (const split of ['nope', 'FEATURE_SOURCE', '']) {
      const res = await performance(`&split=${split}`);
      expect(res.status, JSON.stringify(res.body)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
      expect(JSON.stringify(res.body.error)).toMatch(/split/);
    }
  });
});
