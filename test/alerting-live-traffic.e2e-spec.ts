import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBaselineUpload } from '../src/monitoring/sketch/baseline-input.js';
import { webhookEvents } from './support/alerting.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { LoopbackReceiver } from './support/loopback-receiver.js';
import { createModel, fixture, fixtureBytes, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';
import { startS3, type TestS3 } from './support/s3.js';

/**
 * From traffic to page with nothing faked: predictions on two replicas feed
 * the monitor's live sketches, its elected window check writes drift_checks,
 * and the elected alert evaluation pages a webhook. loan_default_xgb's
 * validation rows are the baseline and its test rows the traffic, shifted
 * the way drift.e2e-spec.ts shows the check flags.
 */
const WINDOW_MS = 3_000;
const ROWS = 600;
const expected = JSON.parse(fixtureBytes('loan_default_xgb.expected.json').toString('utf8'));
const FEATURES: string[] = expected.feature_names;
const SHIFT: Record<string, number> = { age: -0.5, employment_years: 0.5, utilization: 0.5 };
const spec = { featureNames: FEATURES, categorical: expected.categorical_features as string[], labelColumn: 'label' };
const parsed = (part: string) => {
  const r = parseBaselineUpload(readFileSync(fixture(`loan_default_xgb.${part}.csv`)), spec);
  if (r.kind !== 'rows') throw new Error('expected rows');
  return r;
};
const test = parsed('test');
const valid = parsed('valid');
const std = (values: Float64Array) => {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length);
};
const shiftBy = Object.fromEntries(Object.keys(SHIFT).map((f) => [f, SHIFT[f] * std(valid.columns[FEATURES.indexOf(f)])]));

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
const asIs = (_f: string, v: number) => v;
const shifted = (f: string, v: number) => (f in shiftBy ? v + shiftBy[f] : v);
const missingAge = (f: string, v: number, i: number) => (f === 'age' && i % 5 === 0 ? NaN : v);

describe('pages from live traffic through the drift check, on two replicas', () => {
  let db: TestDatabase;
  let s3: TestS3;
  let hook: LoopbackReceiver;
  let a: TestApp;
  let b: TestApp;

  let lastStart = 0;
  /** Sends one window of rows, alternating replicas, starting early in a window after the last one used so all rows land in it. */
  async function sendWindow(alias: string, rows: Record<string, number | null>[]): Promise<void> {
    await eventually(() => Date.now() % WINDOW_MS < 150 && Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS > lastStart, 2 * WINDOW_MS + 1_000, 5);
    const start = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
    lastStart = start;
    for (let i = 0; i < rows.length; i += 50) {
      const res = await inject(i % 100 === 0 ? a : b, 'POST', `/v1/models/loan/aliases/${alias}/predict`, { instances: rows.slice(i, i + 50) });
      expect(res.statusCode, res.body).toBe(200);
    }
    expect(Date.now()).toBeLessThan(start + WINDOW_MS);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    s3 = await startS3();
    hook = await LoopbackReceiver.start();
    const env = {
      MODELGATE_MONITOR_FLUSH_MS: '100',
      MODELGATE_LEADER_POLL_MS: '100',
      MODELGATE_ALERT_EVAL_MS: '200',
      MODELGATE_OUTBOX_POLL_MS: '50',
      MODELGATE_WEBHOOK_RENOTIFY_MS: '0',
      MODELGATE_RECEIVERS: JSON.stringify([{ id: 'hook', type: 'webhook', url: `${hook.url}/hook`, secret: 'x' }]),
    };
    [a, b] = await Promise.all([startTestApp({ db, s3, env }), startTestApp({ db, s3, env })]);
    await createModel(a, 'loan', 'binary_classification', { monitoring_policy: { window_seconds: WINDOW_MS / 1000, min_samples: 500 } });
    await uploadOk(a, 'loan', {
      file: fixture('loan_default_xgb.onnx'),
      baseline: fixture('loan_default_xgb.valid.csv'),
      metadata: { feature_names: FEATURES, categorical_features: spec.categorical },
    });
    for (const alias of ['production', 'drifting', 'dirty']) await setAlias(a, 'loan', alias, 1);
    for (const t of [a, b]) {
      await eventually(async () => (await inject(t, 'POST', '/v1/models/loan/predict', { instances: instances(0, asIs).slice(0, 1) })).statusCode === 200, 30_000);
    }
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await s3?.stop();
    await hook?.stop();
    await db?.drop();
  });

  it('pages once and resolves once for feature drift, prediction drift and a data-quality fault', async () => {
    await sendWindow('drifting', instances(0, shifted));
    await sendWindow('drifting', instances(600, shifted));
    await sendWindow('drifting', instances(1200, asIs));
    await sendWindow('drifting', instances(1800, asIs));
    await sendWindow('dirty', instances(2400, missingAge));
    await sendWindow('dirty', instances(3000, missingAge));
    await sendWindow('dirty', instances(3600, asIs));
    await sendWindow('dirty', instances(4200, asIs));
    const keys = ['loan/1/drifting/feature_drift', 'loan/1/drifting/prediction_drift', 'loan/1/dirty/data_quality'];
    const want = keys.flatMap((k) => [`${k} trigger`, `${k} resolve`]);
    // On a timeout the assertions below show what did arrive.
    await eventually(() => want.every((e) => webhookEvents(hook.received).includes(e)), 30_000, 100).catch(() => undefined);
    const got = webhookEvents(hook.received);
    const checks = await withClient(db.url, (c) => c.query(`SELECT variant, window_start, rows, judged, drifted_features, prediction_drifted, data_quality_failed FROM drift_checks ORDER BY window_start, variant`));
    expect([...got].sort(), JSON.stringify(checks.rows)).toEqual([...want].sort());
    for (const k of keys) expect(got.filter((e) => e.startsWith(`${k} `))).toEqual([`${k} trigger`, `${k} resolve`]);
    expect(got.filter((e) => !keys.some((k) => e.startsWith(`${k} `)))).toEqual([]);
    const page = hook.received.find((r) => r.body.dedup_key === keys[0] && r.body.event === 'trigger')!;
    expect([...page.body.alert.details.drifted_features].sort()).toEqual(Object.keys(SHIFT).sort());
  });
});
