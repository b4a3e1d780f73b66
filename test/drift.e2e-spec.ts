import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBaselineUpload } from '../src/monitoring/sketch/baseline-input.js';
import { LeaderElection } from '../src/database/leader-election.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { createModel, fixture, fixtureBytes, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';
import { startS3, type TestS3 } from './support/s3.js';

/**
 * Drift end to end on loan_default_xgb across two replicas: its validation
 * rows are the version's baseline, its test rows the traffic, half sent to
 * each replica. Each scenario is its own series (an alias per scenario) and
 * fills one 3-second window with 1,000 rows.
 */
const WINDOW_MS = 3_000;
const ROWS = 1_000;
const expected = JSON.parse(fixtureBytes('loan_default_xgb.expected.json').toString('utf8'));
const FEATURES: string[] = expected.feature_names;
/**
 * Shifted the way that raises the default risk, so the score moves too:
 * PRODUCT.md's trio (income, loan_amount, interest_rate, each up by half a
 * standard deviation) pull the score in opposite directions and move it
 * only to PSI 0.05 and KS 0.05, which the decision rightly does not flag
 * (src/monitoring/drift/drift-decision.spec.ts covers that trio).
 */
const SHIFT: Record<string, number> = { age: -0.5, employment_years: 0.5, utilization: 0.5 };
const SHIFTED = Object.keys(SHIFT).sort();
const spec = { featureNames: FEATURES, categorical: expected.categorical_features as string[], labelColumn: 'label' };
const parsed = (part: string) => {
  const r = parseBaselineUpload(readFileSync(fixture(`loan_default_xgb.${part}.csv`)), spec);
  if (r.kind !== 'rows') throw new Error('expected rows');
  return r;
};
const test = parsed('test');
const valid = parsed('valid');

function std(values: Float64Array): number {
  let mean = 0;
  for (const v of values) mean += v / values.length;
  let s = 0;
  for (const v of values) s += ((v - mean) ** 2) / values.length;
  return Math.sqrt(s);
}

function instances(start: number, edit: (feature: string, v: number, i: number) => number) {
  return Array.from({ length: ROWS }, (_, i) =>
    Object.fromEntries(
      FEATURES.map((f, j) => {
        const v = edit(f, test.columns[j][start + i], i);
        return [f, Number.isNaN(v) ? null : v];
      }),
    ),
  );
}

describe('drift checks on loan_default_xgb with two replicas', () => {
  let db: TestDatabase;
  let s3: TestS3;
  let a: TestApp;
  let b: TestApp;

  /** Sends the rows within one window, alternating replicas, 50 rows a request; returns that window's start. */
  async function sendWindow(alias: string, rows: Record<string, number | null>[]): Promise<number> {
    // Start early in a window so that all rows land in it.
    await eventually(() => Date.now() % WINDOW_MS < 150, WINDOW_MS + 1_000, 5);
    const start = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
    for (let i = 0; i < rows.length; i += 50) {
      const res = await inject(i % 100 === 0 ? a : b, 'POST', `/v1/models/loan/aliases/${alias}/predict`, { instances: rows.slice(i, i + 50) });
      expect(res.statusCode, res.body).toBe(200);
    }
    expect(Date.now()).toBeLessThan(start + WINDOW_MS);
    return start;
  }

  async function checkOf(variant: string, windowStart: number) {
    return eventually(async () => {
      const rows = await withClient(db.url, (c) =>
        c.query(`SELECT * FROM drift_checks WHERE model_name = 'loan' AND variant = $1 AND window_start = $2`, [variant, new Date(windowStart)]),
      );
      return rows.rows[0];
    }, 20_000);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    s3 = await startS3();
    const env = { MODELGATE_MONITOR_FLUSH_MS: '100', MODELGATE_LEADER_POLL_MS: '100' };
    [a, b] = await Promise.all([startTestApp({ db, s3, env }), startTestApp({ db, s3, env })]);
    await createModel(a, 'loan', 'binary_classification', { monitoring_policy: { window_seconds: WINDOW_MS / 1000, min_samples: 500 } });
    await uploadOk(a, 'loan', {
      file: fixture('loan_default_xgb.onnx'),
      baseline: fixture('loan_default_xgb.valid.csv'),
      metadata: { feature_names: FEATURES, categorical_features: spec.categorical },
    });
    for (const alias of ['production', 'unshifted', 'shifted', 'missing']) await setAlias(a, 'loan', alias, 1);
    for (const t of [a, b]) {
      await eventually(async () => (await inject(t, 'POST', '/v1/models/loan/predict', { instances: instances(0, (_f, v) => v).slice(0, 1) })).statusCode === 200, 30_000);
    }
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await s3?.stop();
    await db?.drop();
  });

  let unshiftedStart = 0;
  let shiftedStart = 0;

  it('flags nothing in an unshifted window, whose merged counts equal the rows sent to both replicas', async () => {
    unshiftedStart = await sendWindow('unshifted', instances(0, (_f, v) => v));
    const c = await checkOf('unshifted', unshiftedStart);
    expect(c).toMatchObject({ rows: ROWS, requests: ROWS / 50, errors: 0, judged: true, drifted_features: [], prediction_drifted: false, data_quality_failed: [] });
    const partials = await withClient(db.url, (q) =>
      q.query(`SELECT replica_id, rows FROM window_sketches WHERE variant = 'unshifted' AND window_start = $1`, [new Date(unshiftedStart)]),
    );
    expect(partials.rows).toHaveLength(2);
    expect(partials.rows.map((r) => r.rows)).toEqual([ROWS / 2, ROWS / 2]);
    expect(c.features).toHaveLength(FEATURES.length);
    expect(c.prediction.samples).toBe(ROWS);
    expect(c.latency_p99_ms).toBeGreaterThan(0);
  });

  it('flags exactly the three features shifted by half a standard deviation, and the prediction', async () => {
    const by = Object.fromEntries(SHIFTED.map((f) => [f, SHIFT[f] * std(valid.columns[FEATURES.indexOf(f)])]));
    shiftedStart = await sendWindow('shifted', instances(1000, (f, v) => (f in by ? v + by[f] : v)));
    const c = await checkOf('shifted', shiftedStart);
    expect(c.judged).toBe(true);
    expect([...c.drifted_features].sort()).toEqual(SHIFTED);
    expect(c.prediction_drifted).toBe(true);
    expect(c.data_quality_failed).toEqual([]);
    for (const f of SHIFTED) expect(c.features.find((x: any) => x.feature === f).ks_p_value).toBeLessThan(0.05 / FEATURES.length);
    expect(c.prediction.psi).toBeGreaterThan(0.2);
  });

  it('flags 20% missing values in one feature as data quality, not drift', async () => {
    const start = await sendWindow('missing', instances(2000, (f, v, i) => (f === 'age' && i % 5 === 0 ? NaN : v)));
    const c = await checkOf('missing', start);
    expect(c.drifted_features).toEqual([]);
    expect(c.data_quality_failed).toEqual(['age']);
    expect(c.data_quality.find((q: any) => q.feature === 'age')).toMatchObject({ missing_rate: 0.2, violations: ['missing_rate'] });
  });

  it('checks each window once, on the one leader', async () => {
    const leaders = [a, b].filter((t) => t.app.get(LeaderElection).isLeader);
    expect(leaders).toHaveLength(1);
    const dup = await withClient(db.url, (c) =>
      c.query(`SELECT variant, window_start, count(*)::int AS n FROM drift_checks GROUP BY 1, 2 HAVING count(*) > 1`),
    );
    expect(dup.rows).toEqual([]);
    // A second run over the same windows writes nothing.
    const { DriftChecker } = await import('../src/monitoring/drift/drift-checker.js');
    expect(await leaders[0].app.get(DriftChecker).checkDue()).toBe(0);
  });

  it('serves the history newest first, paged, with the latest result per series and feature', async () => {
    const key = await a.http.post('/api/v1/keys').set(a.admin).send({ name: 'oncall', scopes: ['monitor:read'] }).expect(201);
    const auth = { Authorization: `Bearer ${key.body.key}` };
    const first = await a.http.get('/api/v1/models/loan/drift?variant=shifted&limit=1').set(auth).expect(200);
    expect(first.body.checks).toHaveLength(1);
    expect(first.body.checks[0]).toMatchObject({ variant: 'shifted', window_start: new Date(shiftedStart).toISOString() });
    expect(first.body.latest).toHaveLength(1);
    expect(first.body.latest[0].features.age).toMatchObject({ drifted: true, kind: 'numeric' });
    expect(first.body.latest[0].data_quality.region).toMatchObject({ unseen_rate: 0 });
    const all = await a.http.get('/api/v1/models/loan/drift?limit=2').set(auth).expect(200);
    expect(all.body.checks).toHaveLength(2);
    expect(all.body.next_cursor).toEqual(expect.any(String));
    const next = await a.http.get(`/api/v1/models/loan/drift?limit=2&cursor=${all.body.next_cursor}`).set(auth).expect(200);
    const ids = [...all.body.checks, ...next.body.checks].map((c: any) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    await a.http.get('/api/v1/models/nope/drift').set(auth).expect(404);
    const predictOnly = await a.http.post('/api/v1/keys').set(a.admin).send({ name: 'p', scopes: ['predict'] }).expect(201);
    await a.http.get('/api/v1/models/loan/drift').set({ Authorization: `Bearer ${predictOnly.body.key}` }).expect(403);
  });

  it('exports the drift gauges from the latest checks, the same on both replicas', async () => {
    const line = 'modelgate_feature_drifted{model="loan",version="1",variant="shifted",feature="age"} 1';
    const pline = 'modelgate_prediction_drifted{model="loan",version="1",variant="shifted"} 1';
    const missing = 'modelgate_data_missing_rate{model="loan",version="1",variant="missing",feature="age"} 0.2';
    for (const t of [a, b]) {
      await eventually(async () => {
        const text = (await t.http.get('/metrics')).text;
        return text.includes(line) && text.includes(pline) && text.includes(missing);
      }, 10_000);
    }
  });
});
