import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './support/app.js';
import { eventually } from './support/app.js';
import { evaluated, insertCheck, webhookEvents, type CheckRow } from './support/alerting.js';
import { type AppProcess, ensureBuilt, spawnApp } from './support/app-process.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { LoopbackReceiver } from './support/loopback-receiver.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';

// Performance is bucketed by the minute (a window rounds up to whole minutes), so AUC windows are a minute long.
const AUC_WINDOW_S = 60;

/** Distinct (dedup key, event) pairs, the contract's unit of "once". */
const distinct = (events: string[]) => [...new Set(events)];

describe('alerting with two app instances as separate processes', () => {
  let db: TestDatabase;
  let hook: LoopbackReceiver;
  const apps: AppProcess[] = [];
  let window = 0;
  const leader = () => apps.find((a) => a.leading);
  const follower = () => apps.find((a) => !a.leading && a.proc.exitCode === null && a.proc.signalCode === null);
  const asTestApp = (a: AppProcess) => ({ http: a.http, admin: a.admin }) as unknown as TestApp;
  async function feed(model: string, rows: Omit<CheckRow, 'model' | 'version' | 'window'>[]): Promise<void> {
    for (const r of rows) await evaluated(db.url, await insertCheck(db.url, { model, version: 1, window: window++, ...r }));
  }
  const ruleState = (key: string) => withClient(db.url, async (c) => (await c.query(`SELECT phase FROM alert_rule_states WHERE dedup_key = $1`, [key])).rows[0]?.phase);
  const notifications = (key: string) =>
    withClient(db.url, async (c) => (await c.query(`SELECT event, status, attempts FROM alert_notifications WHERE dedup_key = $1 ORDER BY id`, [key])).rows);

  beforeAll(async () => {
    await ensureBuilt();
    db = await createTestDatabase();
    hook = await LoopbackReceiver.start();
    const env = {
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '4',
      MODELGATE_RECEIVERS: JSON.stringify([{ id: 'hook', type: 'webhook', url: `${hook.url}/hook`, secret: 's' }]),
      MODELGATE_ALERT_EVAL_MS: '100',
      MODELGATE_LEADER_POLL_MS: '100',
      MODELGATE_OUTBOX_POLL_MS: '50',
      MODELGATE_OUTBOX_BACKOFF_MS: '50',
      MODELGATE_OUTBOX_BACKOFF_MAX_MS: '200',
      MODELGATE_WEBHOOK_RENOTIFY_MS: '300',
      MODELGATE_RECONCILE_MS: '600000',
      MODELGATE_TELEMETRY_FLUSH_MS: '100',
    };
    // One after the other, so the first to start is the leader and both migrate without racing.
    apps.push(await spawnApp('a', env));
    await eventually(() => apps[0].leading, 15_000);
    apps.push(await spawnApp('b', env));
    for (const name of ['drifty', 'dirty', 'faulty', 'muted', 'acked', 'orphan', 'handover']) {
      await createModel(asTestApp(apps[1]), name);
      await uploadOk(asTestApp(apps[1]), name, { file: logisticBinaryClassifier({ weights: [1, 1, 1], bias: 0, featureNames: ['f0', 'f1', 'f2'] }) });
      await setAlias(asTestApp(apps[1]), name, 'production', 1);
    }
    // One-minute windows (the shortest performance keeps), so four judged AUC windows take four minutes; the bar is absolute.
    await createModel(asTestApp(apps[1]), 'aucky', 'binary_classification', { monitoring_policy: { window_seconds: AUC_WINDOW_S, auc_min: 0.7 } });
    await uploadOk(asTestApp(apps[1]), 'aucky', { file: logisticBinaryClassifier({ weights: [4, 0], bias: 0, featureNames: ['f0', 'f1'] }) });
    await setAlias(asTestApp(apps[1]), 'aucky', 'production', 1);
  }, 300_000);
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await hook?.stop();
    await db?.drop();
  });

  it('pages exactly once and resolves exactly once for a drift, a data-quality fault and an error-rate spike from drift checks', async () => {
    expect(apps.filter((a) => a.leading)).toHaveLength(1);
    await feed('drifty', [{ drifted: ['f1'] }, { drifted: ['f1'] }, { drifted: ['f1'] }, {}, {}]);
    await feed('dirty', [{ dataQualityFailed: ['f2'] }, { dataQualityFailed: ['f2'] }, {}, {}]);
    await feed('faulty', [{ errors: 200 }, { errors: 300 }, { errors: 0 }, { errors: 1 }]);
    const expected = ['drifty/1/production/feature_drift', 'dirty/1/production/data_quality', 'faulty/1/production/error_rate'].flatMap((k) => [`${k} trigger`, `${k} resolve`]);
    await eventually(() => expected.every((e) => webhookEvents(hook.received).includes(e)), 15_000);
    const got = webhookEvents(hook.received);
    expect(distinct(got).sort()).toEqual([...expected].sort());
    // No kill happened, so not even an allowed duplicate.
    expect(got).toHaveLength(expected.length);
    for (const k of ['drifty', 'dirty', 'faulty']) expect(got.filter((e) => e.startsWith(`${k}/`))).toEqual(expected.filter((e) => e.startsWith(`${k}/`)));
  });

  it('pages exactly once and resolves exactly once when live AUC drops below its bar and recovers', async () => {
    const t = asTestApp(follower() ?? apps[1]);
    // One window each: labels that invert the score's order (AUC near 0), twice, then labels that follow it (AUC near 1), twice.
    for (const inverted of [true, true, false, false]) {
      const bucket = Math.floor(Date.now() / (AUC_WINDOW_S * 1000));
      await eventually(() => Math.floor(Date.now() / (AUC_WINDOW_S * 1000)) > bucket, AUC_WINDOW_S * 2000, 20);
      const instances = Array.from({ length: 260 }, (_, i) => ({ f0: (i % 26) / 13 - 1, f1: 0 }));
      const res = await t.http.post('/v1/models/aucky/predict').set(t.admin).send({ instances }).expect(200);
      const items = res.body.predictions.map((p: { prediction_id: string }, i: number) => ({ prediction_id: p.prediction_id, label: (instances[i].f0 > 0) !== inverted ? 1 : 0 }));
      const fb = await t.http.post('/v1/feedback').set(t.admin).send(items).expect(200);
      expect(fb.body.accepted).toBe(items.length);
    }
    const auc = (events: string[]) => events.filter((e) => /^aucky\/1\/[^/]+\/auc /.test(e));
    await eventually(() => auc(webhookEvents(hook.received)).some((e) => e.endsWith(' resolve')), AUC_WINDOW_S * 4000);
    const got = auc(webhookEvents(hook.received));
    expect(got.map((e) => e.split(' ')[1])).toEqual(['trigger', 'resolve']);
    const [alert] = (await t.http.get('/api/v1/alerts?model=aucky').set(t.admin).expect(200)).body.alerts;
    expect(alert).toMatchObject({ rule: 'auc', severity: 'critical', state: 'resolved', details: { auc_min: 0.7 } });
    expect(alert.details.auc).toBeLessThan(0.1);
  }, AUC_WINDOW_S * 10_000);

  it('suppresses delivery of an alert a silence matches, whichever instance the silence was made on', async () => {
    await follower()!.http.post('/api/v1/silences').set(follower()!.admin).send({ matchers: { model: 'mut*' }, ends_at: new Date(Date.now() + 3_600_000).toISOString(), reason: 'maintenance' }).expect(201);
    await feed('muted', [{ drifted: ['f0'] }, { drifted: ['f0'] }]);
    const key = 'muted/1/production/feature_drift';
    expect(await ruleState(key)).toBe('firing');
    expect((await notifications(key)).map((n: any) => n.status)).toEqual(['silenced']);
    expect(webhookEvents(hook.received, true).filter((e) => e.startsWith(key))).toEqual([]);
  });

  it('stops re-notification once acknowledged on the other instance', async () => {
    const key = 'acked/1/production/feature_drift';
    await feed('acked', [{ drifted: ['f0'] }, { drifted: ['f0'] }]);
    const count = () => webhookEvents(hook.received, true).filter((e) => e === `${key} resend`).length;
    await eventually(() => count() >= 1, 10_000);
    const [alert] = (await follower()!.http.get('/api/v1/alerts?model=acked').set(follower()!.admin).expect(200)).body.alerts;
    await follower()!.http.post(`/api/v1/alerts/${alert.id}/ack`).set(follower()!.admin).send({ note: 'mine' }).expect(200);
    // Wait for any resend queued before the ack to drain, then for three more renotify periods to pass.
    await eventually(async () => (await notifications(key)).every((n: any) => n.status !== 'pending'), 10_000);
    const after = count();
    const stamp = Date.now();
    await eventually(async () => Date.now() - stamp > 1_000 && (await notifications(key)).every((n: any) => n.status !== 'pending'), 5_000, 100);
    expect(count()).toBe(after);
    expect(webhookEvents(hook.received).filter((e) => e.startsWith(key))).toEqual([`${key} trigger`]);
  });

  it('delivers, once, the page that was pending when the leader was killed with SIGKILL, and the new leader goes on', async () => {
    const key = 'orphan/1/production/feature_drift';
    const handover = 'handover/1/production/feature_drift';
    await hook.down();
    await feed('orphan', [{ drifted: ['f0'] }, { drifted: ['f0'] }]);
    await eventually(async () => (await notifications(key)).some((n: any) => n.status === 'pending' && n.attempts >= 1), 10_000);
    // And one rule halfway to firing: the state the next leader must pick up.
    await feed('handover', [{ drifted: ['f2'] }]);
    expect(await ruleState(handover)).toBe('pending');
    const old = leader()!;
    await old.kill9();
    const next = await eventually(() => leader(), 15_000);
    expect(next).not.toBe(old);
    await hook.up();
    await eventually(() => webhookEvents(hook.received).includes(`${key} trigger`), 15_000);
    await feed('handover', [{ drifted: ['f2'] }]);
    await eventually(() => webhookEvents(hook.received).includes(`${handover} trigger`), 15_000);
    await feed('orphan', [{}, {}]);
    await eventually(() => webhookEvents(hook.received).includes(`${key} resolve`), 15_000);
    expect(webhookEvents(hook.received).filter((e) => e.startsWith(`${key} `))).toEqual([`${key} trigger`, `${key} resolve`]);
    expect(webhookEvents(hook.received).filter((e) => e.startsWith(`${handover} `))).toEqual([`${handover} trigger`]);
  });
});
