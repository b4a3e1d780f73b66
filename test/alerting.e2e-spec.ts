import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElection } from '../src/database/leader-election.js';
import { OutboxDispatcher } from '../src/alerting/outbox-dispatcher.js';
import { insertCheck, pagerDutyEvents, webhookEvents } from './support/alerting.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { LoopbackReceiver } from './support/loopback-receiver.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';

const FEATURES = ['f0', 'f1', 'f2'];
const onnx = (bias: number) => logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias, featureNames: FEATURES });

describe('alerting on one instance', () => {
  let db: TestDatabase;
  let t: TestApp;
  let hook: LoopbackReceiver;
  let pd: LoopbackReceiver;
  let am: LoopbackReceiver;
  let window = 0;
  const evaluate = () => t.app.get(LeaderElection).runAllNow();
  const drain = () => t.app.get(OutboxDispatcher).drain();
  /** Feeds one window per entry for version 1 of `model` and evaluates after each, as the elected job would. */
  async function windows(model: string, kinds: ('drift' | 'clean' | 'dq' | 'unjudged')[], version = 1): Promise<void> {
    for (const k of kinds) {
      await insertCheck(db.url, { model, version, window: window++, drifted: k === 'drift' ? ['f1'] : [], dataQualityFailed: k === 'dq' ? ['f2'] : [], judged: k !== 'unjudged' });
      expect(await evaluate()).toBe(true);
    }
  }
  const alerts = async (q = '') => (await t.http.get(`/api/v1/alerts${q}`).set(t.admin).expect(200)).body;

  beforeAll(async () => {
    db = await createTestDatabase();
    [hook, pd, am] = await Promise.all([LoopbackReceiver.start(), LoopbackReceiver.start(202), LoopbackReceiver.start()]);
    t = await startTestApp({
      db,
      env: {
        MODELGATE_RECEIVERS: JSON.stringify([
          { id: 'hook', type: 'webhook', url: `${hook.url}/hook`, secret: 'hook-secret', match: { models: ['credit-*'] } },
          { id: 'pd', type: 'pagerduty', url: `${pd.url}/v2/enqueue`, routing_key: 'PDKEY', match: { severities: ['warning', 'critical'] } },
        ]),
        MODELGATE_PUBLIC_URL: 'http://modelgate.test',
        MODELGATE_ALERT_EVAL_MS: '3600000',
        MODELGATE_OUTBOX_POLL_MS: '20',
        MODELGATE_OUTBOX_BACKOFF_MS: '20',
        MODELGATE_OUTBOX_BACKOFF_MAX_MS: '100',
        MODELGATE_ALERTMANAGER_RESEND_MS: '100',
        MODELGATE_WEBHOOK_RENOTIFY_MS: '100',
        MODELGATE_LEADER_POLL_MS: '100',
      },
    });
    await eventually(() => t.app.get(LeaderElection).isLeader, 10_000);
    for (const name of ['credit-risk', 'credit-score', 'fraud']) {
      await createModel(t, name);
      await uploadOk(t, name, { file: onnx(0) });
      await uploadOk(t, name, { file: onnx(1) });
      await setAlias(t, name, 'production', 1);
    }
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all([hook?.stop(), pd?.stop(), am?.stop()]);
    await db?.drop();
  });

  it('pages once when drift persists for two windows and resolves once after two clean ones', async () => {
    await windows('credit-risk', ['drift']);
    expect((await alerts()).alerts).toEqual([]);
    await windows('credit-risk', ['unjudged', 'drift', 'drift', 'drift']);
    const key = 'credit-risk/1/production/feature_drift';
    await eventually(() => webhookEvents(hook.received).length === 1 && pagerDutyEvents(pd.received).length === 1);
    const fired = (await alerts('?state=firing')).alerts;
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ dedup_key: key, model: 'credit-risk', rule: 'feature_drift', severity: 'warning', state: 'firing' });
    await windows('credit-risk', ['clean', 'unjudged', 'clean', 'clean']);
    await eventually(() => webhookEvents(hook.received).length === 2 && pagerDutyEvents(pd.received).length === 2);
    await drain();
    expect(webhookEvents(hook.received)).toEqual([`${key} trigger`, `${key} resolve`]);
    expect(pagerDutyEvents(pd.received)).toEqual([`${key} trigger`, `${key} resolve`]);
    const [a] = (await alerts('?model=credit-risk')).alerts;
    expect(a).toMatchObject({ state: 'resolved', resolve_reason: 'condition cleared' });
    expect(a.notifications.filter((n: any) => n.event !== 'resend').map((n: any) => `${n.receiver_id} ${n.event} ${n.status}`)).toEqual(['env-hook trigger sent', 'env-pd trigger sent', 'env-hook resolve sent', 'env-pd resolve sent']);
    expect(a.events.map((e: any) => e.event)).toEqual(['firing', 'resolved']);
  });

  it('routes by model glob and severity: a model outside the webhook glob pages only PagerDuty', async () => {
    hook.received.length = 0;
    pd.received.length = 0;
    await windows('fraud', ['dq', 'dq']);
    await eventually(() => pagerDutyEvents(pd.received).length === 1);
    await drain();
    expect(pagerDutyEvents(pd.received)).toEqual(['fraud/1/production/data_quality trigger']);
    expect(webhookEvents(hook.received)).toEqual([]);
    await windows('fraud', ['clean', 'clean']);
  });

  it('delivers every page once and in order to a receiver that was down, once it is back', async () => {
    hook.received.length = 0;
    await hook.down();
    await windows('credit-score', ['drift', 'drift', 'clean', 'clean', 'drift', 'drift']);
    const pending = async () => (await alerts('?model=credit-score')).alerts.flatMap((a: any) => a.notifications).filter((n: any) => n.receiver_id === 'env-hook');
    await eventually(async () => (await pending()).some((n: any) => n.attempts >= 2 && n.last_error));
    expect((await pending()).filter((n: any) => n.status === 'sent')).toEqual([]);
    await hook.up();
    const key = 'credit-score/1/production/feature_drift';
    await eventually(async () => (await pending()).every((n: any) => n.status === 'sent'), 10_000);
    expect(webhookEvents(hook.received)).toEqual([`${key} trigger`, `${key} resolve`, `${key} trigger`]);
  });

  it('records a silenced page without delivering it, with who silenced it and why, and pages once the silence lifts', async () => {
    const res = await t.http
      .post('/api/v1/silences')
      .set(t.admin)
      .send({ matchers: { model: 'credit-*', rule: 'data_quality' }, ends_at: new Date(Date.now() + 3_600_000).toISOString(), reason: 'known bad upstream feed' })
      .expect(201);
    expect(res.body).toMatchObject({ active: true, reason: 'known bad upstream feed', created_by: expect.any(String) });
    hook.received.length = 0;
    pd.received.length = 0;
    await windows('credit-risk', ['dq', 'dq']);
    await drain();
    const [a] = (await alerts('?model=credit-risk&state=firing')).alerts;
    expect(a).toMatchObject({ rule: 'data_quality', silenced_by: res.body.id });
    expect(a.notifications.map((n: any) => n.status)).toEqual(['silenced', 'silenced']);
    expect(webhookEvents(hook.received)).toEqual([]);
    expect(pd.received).toEqual([]);
    const metrics = (await t.http.get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/modelgate_alerts_silenced\{model="credit-risk",rule="data_quality",severity="warning"\} 1/);
    await t.http.delete(`/api/v1/silences/${res.body.id}`).set(t.admin).expect(204);
    expect((await t.http.get('/api/v1/silences?active=true').set(t.admin).expect(200)).body.silences).toEqual([]);
    // Lifted while the alert still fires: it pages now, and its resolve follows.
    await evaluate();
    await drain();
    const key = 'credit-risk/1/production/data_quality';
    expect(webhookEvents(hook.received)).toEqual([`${key} trigger`]);
    await windows('credit-risk', ['clean', 'clean']);
    await drain();
    expect(webhookEvents(hook.received)).toEqual([`${key} trigger`, `${key} resolve`]);
    const rec = (await t.http.get(`/api/v1/alerts/${a.id}`).set(t.admin).expect(200)).body;
    expect(rec.events.map((e: any) => e.event)).toEqual(['firing', 'silenced', 'unsilenced', 'resolved']);
  });

  it('stops re-notifying the webhook once acknowledged and sends PagerDuty acknowledge', async () => {
    hook.received.length = 0;
    pd.received.length = 0;
    await windows('credit-score', ['clean', 'clean', 'drift', 'drift']);
    await drain();
    const [a] = (await alerts('?model=credit-score&state=firing')).alerts;
    await eventually(async () => {
      await evaluate();
      return webhookEvents(hook.received, true).filter((e) => e === `${a.dedup_key} resend`).length >= 2;
    });
    const ack = await t.http.post(`/api/v1/alerts/${a.id}/ack`).set(t.admin).send({ note: 'looking at it' }).expect(200);
    expect(ack.body).toMatchObject({ acknowledged: true, acknowledgements: [{ note: 'looking at it' }] });
    await eventually(() => pagerDutyEvents(pd.received).includes(`${a.dedup_key} acknowledge`));
    await drain();
    const resends = () => webhookEvents(hook.received, true).filter((e) => e === `${a.dedup_key} resend`).length;
    const after = resends();
    // Three keep-alive periods with the job running: an unacknowledged alert would have been re-sent by now.
    const until = Date.now() + 350;
    await eventually(async () => {
      await evaluate();
      await drain();
      return Date.now() > until;
    }, 5_000);
    expect(resends()).toBe(after);
    const ackAgain = await t.http.post(`/api/v1/alerts/${a.id}/ack`).set(t.admin).send({}).expect(200);
    expect(ackAgain.body.acknowledgements).toHaveLength(2);
    expect(pagerDutyEvents(pd.received).filter((e) => e.endsWith('acknowledge'))).toHaveLength(1);
    expect((await alerts('?state=acknowledged')).alerts.map((x: any) => x.id)).toEqual([a.id]);
  });

  it('resolves a firing alert with the reason "not serving" when its version stops serving', async () => {
    await setAlias(t, 'credit-score', 'production', 2);
    await evaluate();
    await drain();
    const a = (await alerts('?model=credit-score')).alerts[0];
    expect(a).toMatchObject({ state: 'resolved', resolve_reason: 'not serving' });
    await eventually(() => webhookEvents(hook.received).at(-1) === `${a.dedup_key} resolve`);
  });

  it('exports firing alerts and notification outcomes in /metrics', async () => {
    const text = (await t.http.get('/metrics').expect(200)).text;
    expect(text).toMatch(/modelgate_notifications_total\{receiver="env-hook",event="trigger",outcome="sent"\} \d+/);
    expect(text).toMatch(/modelgate_notifications_total\{receiver="env-hook",event="trigger",outcome="failed"\} [1-9]/);
    expect(text).toContain('# TYPE modelgate_alerts_firing gauge');
  });

  it('pages the alert list with an opaque cursor and answers 404 and 409 with their codes', async () => {
    const all = (await alerts('?limit=500')).alerts;
    expect(all.length).toBeGreaterThan(3);
    const seen: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: any = await alerts(`?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.alerts.length).toBeLessThanOrEqual(2);
      seen.push(...page.alerts.map((a: any) => a.id));
      cursor = page.next_cursor;
    }
    expect(seen).toEqual(all.map((a: any) => a.id));
    expect((await t.http.get('/api/v1/alerts/nope').set(t.admin).expect(404)).body.error.code).toBe('ALERT_NOT_FOUND');
    const resolved = all.find((a: any) => a.state === 'resolved');
    expect((await t.http.post(`/api/v1/alerts/${resolved.id}/ack`).set(t.admin).send({}).expect(409)).body.error.code).toBe('ALERT_NOT_FIRING');
    expect((await t.http.get('/api/v1/alerts?severity=loud').set(t.admin).expect(400)).body.error.code).toBe('VALIDATION_FAILED');
  });

  it('keeps receiver secrets out of every answer and env receivers read-only', async () => {
    const created = await t.http
      .post('/api/v1/receivers')
      .set(t.admin)
      .send({ type: 'alertmanager', url: am.url, secret: 'never-shown', match: { models: ['credit-*'] } })
      .expect(201);
    expect(created.body).toMatchObject({ type: 'alertmanager', source: 'api', has_secret: true });
    const list = await t.http.get('/api/v1/receivers').set(t.admin).expect(200);
    expect(JSON.stringify(list.body)).not.toMatch(/never-shown|hook-secret|PDKEY/);
    expect(list.body.receivers.map((r: any) => `${r.id} ${r.source}`)).toEqual(['env-hook env', 'env-pd env', `${created.body.id} api`]);
    const patched = await t.http.patch(`/api/v1/receivers/${created.body.id}`).set(t.admin).send({ match: { models: ['fraud'] } }).expect(200);
    expect(patched.body.match).toEqual({ models: ['fraud'] });
    expect((await t.http.patch('/api/v1/receivers/env-hook').set(t.admin).send({ url: 'http://x.test' }).expect(409)).body.error.code).toBe('RECEIVER_READ_ONLY');
    expect((await t.http.post('/api/v1/receivers').set(t.admin).send({ type: 'pagerduty' }).expect(400)).body.error.details.field).toBe('routing_key');
    await t.http.delete(`/api/v1/receivers/${created.body.id}`).set(t.admin).expect(204);
    expect((await t.http.get(`/api/v1/receivers/${created.body.id}`).set(t.admin).expect(404)).body.error.code).toBe('RECEIVER_NOT_FOUND');
  });

  it('gives up on a notification older than the give-up time and says so in the alert record', async () => {
    await hook.down();
    hook.received.length = 0;
    await windows('credit-risk', ['drift', 'drift']);
    const [a] = (await alerts('?model=credit-risk&state=firing')).alerts;
    // Age the queued notification past the 24 h default instead of waiting a day.
    await withClient(db.url, (c) => c.query(`UPDATE alert_notifications SET created_at = now() - interval '25 hours' WHERE alert_id = $1`, [a.id]));
    await eventually(async () => (await t.http.get(`/api/v1/alerts/${a.id}`).set(t.admin)).body.notifications.some((n: any) => n.status === 'given_up'));
    const rec = (await t.http.get(`/api/v1/alerts/${a.id}`).set(t.admin).expect(200)).body;
    expect(rec.events.map((e: any) => e.event)).toContain('delivery_given_up');
    const text = (await t.http.get('/metrics').expect(200)).text;
    expect(text).toMatch(/modelgate_notifications_total\{receiver="env-hook",event="trigger",outcome="given_up"\} 1/);
    await hook.up();
  });
});
