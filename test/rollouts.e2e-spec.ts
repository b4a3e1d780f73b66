import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webhookEvents } from './support/alerting.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { LoopbackReceiver } from './support/loopback-receiver.js';
import { logisticBinaryClassifier, slowClassifier } from './support/onnx-builder.js';
import { readFixtureCsv } from './support/onnx-fixtures.js';
import { createModel, fixture, fixtureBytes, setAlias, uploadOk } from './support/registry.js';
import { rollout, rolloutReaches, startRollout, trafficLoop } from './support/rollouts.js';
import { inject, instanceOf } from './support/serving.js';
import { startS3, type TestS3 } from './support/s3.js';

/**
 * Rollouts end to end on the fixture model with 2 s monitor windows: live
 * predictions feed the monitor's sketches and labels, its elected window
 * check writes drift_checks, and the elected rollout driver judges them
 * and moves traffic through ordinary serving revisions.
 */
const WINDOW_S = 2;
const expected = JSON.parse(fixtureBytes('loan_default_xgb.expected.json').toString('utf8'));
const FEATURES: string[] = expected.feature_names;
const csv = readFixtureCsv('loan_default_xgb.test.csv');
const ROWS_PER_REQUEST = 20;

const env = (hook: LoopbackReceiver) => ({
  MODELGATE_MONITOR_FLUSH_MS: '100',
  MODELGATE_TELEMETRY_FLUSH_MS: '100',
  MODELGATE_LEADER_POLL_MS: '100',
  MODELGATE_ALERT_EVAL_MS: '200',
  MODELGATE_ROLLOUT_TICK_MS: '100',
  MODELGATE_OUTBOX_POLL_MS: '50',
  MODELGATE_WEBHOOK_RENOTIFY_MS: '0',
  MODELGATE_RECEIVERS: JSON.stringify([{ id: 'hook', type: 'webhook', url: `${hook.url}/hook`, secret: 'x' }]),
});

/** Steps short enough for a test: each needs one whole 2 s window inside it that passes. */
const fastRollout = (candidate: number, analysis: Record<string, unknown> = {}) => ({
  candidate,
  steps: [20, 50, 100],
  step_min_duration_s: WINDOW_S,
  // A loaded test machine makes single windows' p99 jumpy; latency has a test of its own below.
  analysis: { auc: { min_labels: 100, margin: 0.05, confidence: 0.95 }, failure_threshold: 2, p99_max_ms: 200, ...analysis },
  reason: 'rollout test',
});

describe('progressive rollouts judged on live traffic and labels', { timeout: 180_000 }, () => {
  let db: TestDatabase;
  let s3: TestS3;
  let hook: LoopbackReceiver;
  let t: TestApp;

  /** Predicts 20 test rows per request and labels each answer; `flip` is the share of the candidate's labels turned over. */
  const loanTraffic = (flip = 0) =>
    trafficLoop(async (i) => {
      const start = (i * ROWS_PER_REQUEST) % (csv.rows - ROWS_PER_REQUEST);
      const rows = Array.from({ length: ROWS_PER_REQUEST }, (_, k) => start + k);
      const res = await inject(t, 'POST', '/v1/models/loan/predict', { instances: rows.map((r) => instanceOf(FEATURES, csv.data, r)) });
      if (res.statusCode !== 200) return;
      const body = res.json();
      const items = body.predictions.map((p: { prediction_id: string }, k: number) => {
        const truth = csv.labels[rows[k]];
        const flipped = body.variant === 'candidate' && (rows[k] % 100) / 100 < flip;
        return { prediction_id: p.prediction_id, label: flipped ? 1 - truth : truth };
      });
      await inject(t, 'POST', '/v1/feedback', items);
    });

  const history = async (model: string) => (await t.http.get(`/api/v1/models/${model}/history?limit=100`).set(t.admin).expect(200)).body.revisions;
  const traffic = async (model: string) => (await t.http.get(`/api/v1/models/${model}/traffic`).set(t.admin).expect(200)).body;

  beforeAll(async () => {
    db = await createTestDatabase();
    s3 = await startS3();
    hook = await LoopbackReceiver.start();
    t = await startTestApp({ db, s3, env: env(hook) });
    await createModel(t, 'loan', 'binary_classification', { monitoring_policy: { window_seconds: WINDOW_S, min_samples: 100 } });
    // The same model three times: the candidates differ from the baseline only in what their labels say.
    for (let v = 1; v <= 3; v++) {
      await uploadOk(t, 'loan', {
        file: fixture('loan_default_xgb.onnx'),
        baseline: fixture('loan_default_xgb.valid.csv'),
        metadata: { feature_names: FEATURES, categorical_features: expected.categorical_features },
      });
    }
    await setAlias(t, 'loan', 'production', 1);
    await eventually(async () => (await inject(t, 'POST', '/v1/models/loan/predict', { instances: [instanceOf(FEATURES, csv.data, 0)] })).statusCode === 200, 30_000);
  });
  afterAll(async () => {
    await t?.close();
    await s3?.stop();
    await hook?.stop();
    await db?.drop();
  });

  it('rolls the same model out step by step to 100% and makes it production, every move a revision by the rollout', async () => {
    const load = loanTraffic();
    try {
      const r = await startRollout(t, 'loan', fastRollout(2));
      expect(r.state).toBe('pending');
      const done = await rolloutReaches(t, 'loan', r.id, ['completed', 'aborted']);
      expect(done.state, done.state_reason).toBe('completed');
      expect(done.steps.map((s: any) => [s.weight, s.status])).toEqual([
        [20, 'passed'],
        [50, 'passed'],
        [100, 'passed'],
      ]);
      // Each step passed on judged windows with every check, AUC by DeLong included.
      for (const s of done.steps) {
        const last = s.windows[s.windows.length - 1];
        expect(last.passed).toBe(true);
        expect(last.checks.map((c: any) => c.check)).toEqual(['error_rate', 'latency_p99', 'prediction_drift', 'auc']);
        expect(last.checks.find((c: any) => c.check === 'auc').details.candidate_labels).toBeGreaterThanOrEqual(100);
      }
      const tr = await traffic('loan');
      expect(tr.aliases.production).toBe(2);
      expect(tr.policy).toBeNull();
      const mine = (await history('loan')).filter((h: any) => h.actor === `rollout:${r.id}`).reverse();
      expect(mine.map((h: any) => h.change)).toEqual(['traffic_set', 'traffic_set', 'traffic_set', 'alias_set']);
      expect(mine[0].reason).toMatch(/step 1 of 3, 20% to version 2/);
      expect(mine[1].after.traffic.routes).toEqual([
        { version: 1, weight: 50, name: 'baseline' },
        { version: 2, weight: 50, name: 'candidate' },
      ]);
      const metrics = (await t.http.get('/metrics').expect(200)).text;
      expect(metrics).toContain(`modelgate_rollout_state{model="loan",rollout="${r.id}",state="completed"} 1`);
      expect(metrics).toContain(`modelgate_rollout_weight{model="loan",rollout="${r.id}"} 100`);
      // Each transition is a registry event, committed with the move it describes.
      const events = (await t.http.get('/api/v1/events').query({ model: 'loan', type: 'rollout.*', limit: 50 }).set(t.admin).expect(200)).body.events;
      const ours = events.filter((e: any) => e.data?.rollout === r.id).reverse();
      expect(ours.map((e: any) => e.type)).toEqual(['rollout.started', 'rollout.step', 'rollout.step', 'rollout.completed']);
      expect(ours.every((e: any) => e.actor === `rollout:${r.id}` && e.version === 2)).toBe(true);
    } finally {
      await load.stop();
    }
  });

  it('aborts a candidate whose labels show a lower AUC at the step where DeLong says so, restores traffic and pages once until acknowledged', async () => {
    const before = await traffic('loan');
    const load = loanTraffic(0.4);
    let id = 0;
    try {
      id = (await startRollout(t, 'loan', fastRollout(3))).id;
      const done = await rolloutReaches(t, 'loan', id, ['completed', 'aborted']);
      expect(done.state).toBe('aborted');
      expect(done.state_reason).toMatch(/^auc failed in 2 windows in a row.* at step 1 \(20%\)$/);
      expect(done.steps.map((s: any) => s.status)).toEqual(['aborted', 'waiting', 'waiting']);
      const failing = done.steps[0].windows.filter((w: any) => w.checks.some((c: any) => c.check === 'auc' && c.outcome === 'fail'));
      expect(failing.length).toBe(2);
      expect(failing[0].checks.find((c: any) => c.check === 'auc').details.lower_bound).toBeLessThan(-0.05);
    } finally {
      await load.stop();
    }
    const after = await traffic('loan');
    expect({ aliases: after.aliases, policy: after.policy }).toEqual({ aliases: before.aliases, policy: before.policy });
    const last = (await history('loan'))[0];
    expect(last).toMatchObject({ change: 'rollback', actor: `rollout:${id}` });
    const key = `loan/3/rollout:${id}/rollout_aborted`;
    await eventually(() => webhookEvents(hook.received).includes(`${key} trigger`), 15_000, 50);
    const alerts = (await t.http.get('/api/v1/alerts?model=loan').set(t.admin).expect(200)).body.alerts.filter((a: any) => a.rule === 'rollout_aborted');
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ dedup_key: key, state: 'firing', severity: 'critical' });
    // Version 3 serves nothing now; "not serving" must not resolve the page.
    await new Promise((r) => setTimeout(r, 1_000));
    expect((await t.http.get(`/api/v1/alerts/${alerts[0].id}`).set(t.admin).expect(200)).body.state).toBe('firing');
    await t.http.post(`/api/v1/alerts/${alerts[0].id}/ack`).set(t.admin).send({ note: 'seen' }).expect(200);
    await eventually(() => webhookEvents(hook.received).includes(`${key} resolve`), 15_000, 50);
    // Webhooks hear of the page and of its end; an acknowledgement goes to PagerDuty only.
    expect(webhookEvents(hook.received).filter((e) => e.startsWith(key))).toEqual([`${key} trigger`, `${key} resolve`]);
  });

  it('judges the quality check on CBPE estimates while labels are short, with allow_estimate', async () => {
    await createModel(t, 'early', 'binary_classification', { monitoring_policy: { window_seconds: WINDOW_S, min_samples: 100 } });
    for (let v = 1; v <= 2; v++) {
      await uploadOk(t, 'early', { file: fixture('loan_default_xgb.onnx'), baseline: fixture('loan_default_xgb.valid.csv'), metadata: { feature_names: FEATURES, categorical_features: expected.categorical_features } });
    }
    await setAlias(t, 'early', 'production', 1);
    await eventually(async () => (await inject(t, 'POST', '/v1/models/early/predict', { instances: [instanceOf(FEATURES, csv.data, 0)] })).statusCode === 200, 30_000);
    // Predictions only: no label is ever sent.
    const load = trafficLoop(async (i) => {
      const start = (i * ROWS_PER_REQUEST) % (csv.rows - ROWS_PER_REQUEST);
      await inject(t, 'POST', '/v1/models/early/predict', { instances: Array.from({ length: ROWS_PER_REQUEST }, (_, k) => instanceOf(FEATURES, csv.data, start + k)) });
    });
    try {
      const r = await startRollout(t, 'early', {
        candidate: 2,
        steps: [50, 100],
        step_min_duration_s: WINDOW_S,
        analysis: { auc: { min_labels: 100, margin: 0.05, confidence: 0.95, allow_estimate: true }, failure_threshold: 2, p99_max_ms: 200 },
      });
      const done = await rolloutReaches(t, 'early', r.id, ['completed', 'aborted']);
      expect(done.state, done.state_reason).toBe('completed');
      for (const s of done.steps) {
        const auc = s.windows[s.windows.length - 1].checks.find((c: any) => c.check === 'auc');
        expect(auc.outcome, JSON.stringify(auc)).toBe('pass');
        expect(auc.note).toMatch(/^estimated \(CBPE, labels short\)/);
        expect(auc.details).toMatchObject({ estimated: true, candidate_labels: 0 });
        expect(auc.value).toBeGreaterThan(-0.05);
      }
    } finally {
      await load.stop();
    }
  });

  it('aborts a candidate whose p99 latency is over the factor and restores the baseline', async () => {
    const F = ['f0', 'f1', 'f2'];
    await createModel(t, 'spin', 'binary_classification', { monitoring_policy: { window_seconds: WINDOW_S, min_samples: 10 } });
    await uploadOk(t, 'spin', { file: logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias: 0, featureNames: F }) });
    await uploadOk(t, 'spin', { file: slowClassifier({ featureNames: F }) });
    await setAlias(t, 'spin', 'production', 1);
    await eventually(async () => (await inject(t, 'POST', '/v1/models/spin/predict', { instances: [{ f0: 0, f1: 1, f2: 2 }] })).statusCode === 200, 30_000);
    // f0 sets the slow version's Loop trips: tens of milliseconds a request; the fast one ignores it.
    const load = trafficLoop(async () => void (await inject(t, 'POST', '/v1/models/spin/predict', { instances: [{ f0: 150_000, f1: 1, f2: 2 }] })), 5);
    try {
      const r = await startRollout(t, 'spin', { candidate: 2, steps: [50, 100], step_min_duration_s: WINDOW_S, analysis: { auc: null, prediction_drift: false } });
      const done = await rolloutReaches(t, 'spin', r.id, ['completed', 'aborted']);
      expect(done.state).toBe('aborted');
      expect(done.state_reason, JSON.stringify(done.steps[0].windows)).toMatch(/^latency_p99 failed in 2 windows in a row/);
      const p99 = done.steps[0].windows[0].checks.find((c: any) => c.check === 'latency_p99');
      expect(p99.value).toBeGreaterThan(p99.limit);
    } finally {
      await load.stop();
    }
    const tr = await traffic('spin');
    expect(tr.aliases.production).toBe(1);
    expect(tr.policy).toBeNull();
  });

  it('refuses a second rollout, one while a split exists, and one without a baseline, with their codes', async () => {
    await setAlias(t, 'loan', 'staging', 3);
    const res = await t.http.put('/api/v1/models/loan/traffic').set(t.admin).send({ routes: [{ version: 2, weight: 90 }, { version: 3, weight: 10 }] });
    expect(res.status).toBe(200);
    const split = await t.http.post('/api/v1/models/loan/rollouts').set(t.admin).send({ candidate: 'staging' });
    expect([split.status, split.body.error.code]).toEqual([409, 'TRAFFIC_SPLIT_EXISTS']);
    await t.http.delete('/api/v1/models/loan/traffic').set(t.admin).expect(200);
    const first = await startRollout(t, 'loan', { candidate: 'staging', step_min_duration_s: 3600, analysis: { auc: null } });
    const second = await t.http.post('/api/v1/models/loan/rollouts').set(t.admin).send({ candidate: 3 });
    expect([second.status, second.body.error.code]).toEqual([409, 'ROLLOUT_ACTIVE']);
    await t.http.post(`/api/v1/models/loan/rollouts/${first.id}/abort`).set(t.admin).send({ reason: 'test over' }).expect(200);
    await createModel(t, 'bare');
    const bare = await t.http.post('/api/v1/models/bare/rollouts').set(t.admin).send({ candidate: 1 });
    expect([bare.status, bare.body.error.code]).toEqual([409, 'NO_PRODUCTION_VERSION']);
    const list = (await t.http.get('/api/v1/models/loan/rollouts?limit=2').set(t.admin).expect(200)).body;
    expect(list.rollouts).toHaveLength(2);
    expect(list.rollouts[0].id).toBe(first.id);
    expect(list.rollouts[1].id).toBeLessThan(first.id);
    expect(list.next_cursor).not.toBeNull();
  });

  it('pauses on a manual traffic change and aborts on a manual rollback, with the reason recorded', async () => {
    const r = await startRollout(t, 'loan', { candidate: 3, step_min_duration_s: 3600, analysis: { auc: null } });
    await rolloutReaches(t, 'loan', r.id, ['running'], 10_000);
    // Moving an alias nothing routes changes no traffic: the rollout takes it in its stride.
    const moved = await setAlias(t, 'loan', 'staging', 2, 'unrelated');
    await eventually(() => withClient(db.url, async (c) => (await c.query(`SELECT last_revision FROM rollouts WHERE id = $1`, [r.id])).rows[0].last_revision === moved.revision), 10_000, 50);
    expect((await rollout(t, 'loan', r.id)).state).toBe('running');
    await t.http.put('/api/v1/models/loan/traffic').set(t.admin).send({ routes: [{ version: 2, weight: 80, name: 'baseline' }, { version: 3, weight: 20, name: 'candidate' }], reason: 'more please' }).expect(200);
    const paused = await rolloutReaches(t, 'loan', r.id, ['paused'], 10_000);
    expect(paused.state_reason).toMatch(/^manual traffic set at revision \d+ by .*: more please$/);
    const resumed = (await t.http.post(`/api/v1/models/loan/rollouts/${r.id}/resume`).set(t.admin).send({}).expect(200)).body;
    expect(resumed.state).toBe('running');
    expect((await traffic('loan')).policy.routes.map((x: any) => x.weight)).toEqual([95, 5]);
    await t.http.post('/api/v1/models/loan/rollback').set(t.admin).send({ reason: 'nope' }).expect(200);
    const aborted = await rolloutReaches(t, 'loan', r.id, ['aborted'], 10_000);
    expect(aborted.state_reason).toMatch(/^manual rollback at revision \d+ by .*: nope$/);
  });
});

