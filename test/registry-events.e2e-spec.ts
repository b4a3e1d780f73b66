import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataSource } from 'typeorm';
import { EventOutbox } from '../src/alerting/event-outbox.js';
import { RegistryEvents } from '../src/registry/events/registry-events.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { LoopbackReceiver } from './support/loopback-receiver.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';

const classifier = (bias = 0, featureNames = ['f0', 'f1', 'f2']) => logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias, featureNames });
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });
const SECRET = 'event-secret';

/**
 * Registry events (PRODUCT.md "Registry events"): stored for every change
 * and refusal, listed at /api/v1/events, and delivered once each, in order
 * per model, to the webhooks that subscribe to their types.
 */
describe('registry events', () => {
  let db: TestDatabase;
  let t: TestApp;
  let hook: LoopbackReceiver;
  let receiverId: string;
  let aliasOnlyId: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    hook = await LoopbackReceiver.start();
    t = await startTestApp({ db, env: { MODELGATE_OUTBOX_POLL_MS: '50', MODELGATE_OUTBOX_BACKOFF_MS: '20', MODELGATE_OUTBOX_BACKOFF_MAX_MS: '100' } });
    const all = await t.http.post('/api/v1/receivers').set(t.admin).send({ type: 'webhook', url: `${hook.url}/all`, secret: SECRET, events: ['*'], match: { models: ['ev-*'] } });
    expect(all.status, JSON.stringify(all.body)).toBe(201);
    expect(all.body.events).toEqual(['*']);
    receiverId = all.body.id;
    aliasOnlyId = (await t.http.post('/api/v1/receivers').set(t.admin).send({ type: 'webhook', url: `${hook.url}/aliases`, events: ['alias.*'] }).expect(201)).body.id;
  });
  afterAll(async () => {
    await t?.close();
    await hook?.stop();
    await db?.drop();
  });

  const key = async (auth: Record<string, string>, scopes: string[]) => bearer((await t.http.post('/api/v1/keys').set(auth).send({ name: scopes.join(' '), scopes }).expect(201)).body.key);
  const eventsOf = async (query: string) => {
    const out: any[] = [];
    let cursor: string | null = null;
    do {
      const res: any = await t.http.get(`/api/v1/events?${query}&limit=4${cursor ? `&cursor=${cursor}` : ''}`).set(t.admin).expect(200);
      out.push(...res.body.events);
      cursor = res.body.next_cursor;
    } while (cursor);
    return out.reverse();
  };
  const delivered = (path: string, model?: string) => hook.received.filter((r) => r.path === path && (!model || r.body.event.model === model));

  it('delivers every event type the registry produces to a subscribed webhook once, in order, signed', async () => {
    const m = 'ev-credit';
    await createModel(t, m);
    await t.http.patch(`/api/v1/models/${m}`).set(t.admin).send({ tags: { team: 'risk' } }).expect(200);
    await uploadOk(t, m, { file: classifier(0) });
    await uploadOk(t, m, { file: classifier(1) });
    await uploadOk(t, m, { file: classifier(2, ['age', 'income', 'debt']) });
    await setAlias(t, m, 'production', 1);
    await setAlias(t, m, 'staging', 2);
    await t.http.put(`/api/v1/models/${m}/traffic`).set(t.admin).send({ routes: [{ version: 1, weight: 90 }, { version: 2, weight: 10 }], reason: 'A/B' }).expect(200);
    await t.http.post(`/api/v1/models/${m}/rollback`).set(t.admin).send({ reason: 'undo the split' }).expect(200);
    await t.http.delete(`/api/v1/models/${m}/aliases/staging`).set(t.admin).expect(200);
    await t.http.patch(`/api/v1/models/${m}/versions/2`).set(t.admin).send({ status: 'archived' }).expect(200);
    expect((await t.http.put(`/api/v1/models/${m}/aliases/production`).set(t.admin).send({ version: 3 })).status).toBe(409);
    await t.http.patch(`/api/v1/models/${m}`).set(t.admin).send({ release_policy: { require_approval: true } }).expect(200);
    await uploadOk(t, m, { file: classifier(3) });
    const requester = await key(t.admin, ['registry:write']);
    const approver = await key(await key(t.admin, ['admin']), ['approve']);
    const req = (await t.http.put(`/api/v1/models/${m}/aliases/production`).set(requester).send({ version: 4 }).expect(202)).body.request;
    await t.http.post(`/api/v1/models/${m}/requests/${req.id}/approve`).set(approver).send({ comment: 'go' }).expect(200);
    // Rollouts record their events through the same entry point, in the transaction of their change.
    const recorder = t.app.get(RegistryEvents);
    await t.app.get(DataSource).transaction(async (em) => {
      await recorder.record(em, { type: 'rollout.started', model: m, version: 4, actor: 'rollout:r1', data: { rollout_id: 'r1' } });
      await recorder.record(em, { type: 'rollout.step', model: m, version: 4, actor: 'rollout:r1', data: { rollout_id: 'r1', step: 1, weight: 5 } });
    });
    await t.app.get(DataSource).transaction((em) => recorder.record(em, { type: 'rollout.completed', model: m, version: 4, actor: 'rollout:r1', data: { rollout_id: 'r1' } }));
    await t.app.get(DataSource).transaction((em) => recorder.record(em, { type: 'rollout.aborted', model: m, version: 4, actor: 'rollout:r2', data: { rollout_id: 'r2' } }));

    const expected = [
      'model.created',
      'model.updated',
      'version.created',
      'version.created',
      'version.created',
      'alias.moved',
      'alias.moved',
      'traffic.changed',
      'rollback',
      'alias.deleted',
      'version.archived',
      'gate.refused',
      'model.updated',
      'version.created',
      'approval.requested',
      'alias.moved',
      'approval.decided',
      'rollout.started',
      'rollout.step',
      'rollout.completed',
      'rollout.aborted',
    ];
    const stored = await eventsOf(`model=${m}`);
    expect(stored.map((e) => e.type)).toEqual(expected);

    await t.app.get(EventOutbox).drain();
    await eventually(() => delivered('/all', m).length >= expected.length, 15_000);
    const got = delivered('/all', m);
    expect(got.map((r) => r.body.type)).toEqual(expected);
    expect(got.map((r) => r.body.event.id)).toEqual(stored.map((e) => e.id));
    expect(new Set(got.map((r) => r.body.event.id)).size).toBe(expected.length);
    for (const r of got) {
      const [, ts, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['x-modelgate-signature']))!;
      expect(mac).toBe(createHmac('sha256', SECRET).update(`${ts}.${r.raw}`).digest('hex'));
      expect(r.headers['idempotency-key']).toBe(`registry-event/${r.body.event.id}`);
      expect(r.body.kind).toBe('registry_event');
    }
    expect(got.find((r) => r.body.type === 'alias.moved')!.body.event).toMatchObject({ model: m, version: 1, actor: 'admin-token', data: { alias: 'production', from: null, to: 1 } });

    // A receiver subscribed to alias.* hears only those; nothing is sent twice after more polls.
    await eventually(() => delivered('/aliases', m).length >= 4);
    expect(delivered('/aliases', m).map((r) => `${r.body.type} ${r.body.event.data.alias}`)).toEqual(['alias.moved production', 'alias.moved staging', 'alias.deleted staging', 'alias.moved production']);
    await t.app.get(EventOutbox).drain();
    expect(delivered('/all', m)).toHaveLength(expected.length);
  });

  it("holds a model's later events while an earlier one waits for its retry, and lets other models through", async () => {
    hook.status = 503;
    await createModel(t, 'ev-a');
    const pendingOf = (model: string) =>
      withClient(db.url, async (c) => (await c.query(`SELECT attempts FROM event_deliveries WHERE model = $1 AND receiver_id = $2 AND status = 'pending'`, [model, receiverId])).rows);
    await eventually(async () => (await pendingOf('ev-a'))[0]?.attempts >= 1, 15_000);
    // As if its back-off were long: ev-a's first event stays due later, until released below.
    await withClient(db.url, (c) => c.query(`UPDATE event_deliveries SET next_attempt_at = now() + interval '1 hour' WHERE model = 'ev-a' AND status = 'pending'`));
    hook.status = 200;

    await createModel(t, 'ev-b');
    for (let i = 0; i < 3; i++) for (const m of ['ev-a', 'ev-b']) await uploadOk(t, m, { file: classifier(i) });
    for (const m of ['ev-a', 'ev-b']) await setAlias(t, m, 'production', 3);
    const order = ['model.created', 'version.created', 'version.created', 'version.created', 'alias.moved'];
    await eventually(() => delivered('/all', 'ev-b').length >= order.length, 20_000);
    expect(delivered('/all', 'ev-b').map((r) => r.body.type)).toEqual(order);
    await t.app.get(EventOutbox).drain();
    expect(delivered('/all', 'ev-a')).toEqual([]);
    expect(await pendingOf('ev-a')).toHaveLength(order.length);

    await withClient(db.url, (c) => c.query(`UPDATE event_deliveries SET next_attempt_at = now() WHERE model = 'ev-a' AND status = 'pending'`));
    await eventually(() => delivered('/all', 'ev-a').length >= order.length, 20_000);
    expect(delivered('/all', 'ev-a').map((r) => r.body.type)).toEqual(order);
  });

  it('lists events newest first, filtered by model and by type or family', async () => {
    const page = await t.http.get('/api/v1/events?limit=2').set(t.admin).expect(200);
    expect(page.body.events).toHaveLength(2);
    expect(Number(page.body.events[0].id)).toBeGreaterThan(Number(page.body.events[1].id));
    expect(page.body.next_cursor).toEqual(expect.any(String));
    const aliasEvents = await eventsOf('model=ev-credit&type=alias.*');
    expect(aliasEvents.map((e) => e.type)).toEqual(['alias.moved', 'alias.moved', 'alias.deleted', 'alias.moved']);
    expect((await eventsOf('type=model.created')).map((e) => e.model)).toEqual(['ev-credit', 'ev-a', 'ev-b']);
    expect((await t.http.get('/api/v1/events?type=alias.renamed').set(t.admin)).status).toBe(400);
    expect((await t.http.get('/api/v1/events?cursor=bm9wZQ').set(t.admin)).status).toBe(400);
    const reader = await key(t.admin, ['registry:read']);
    expect((await t.http.get('/api/v1/events').set(reader)).status).toBe(200);
    expect((await t.http.get('/api/v1/events').set(await key(t.admin, ['predict']))).status).toBe(403);
  });

  it('sends a signed test event to a webhook on request, and refuses subscriptions it cannot deliver', async () => {
    const res = await t.http.post(`/api/v1/receivers/${receiverId}/test`).set(t.admin).expect(200);
    expect(res.body).toMatchObject({ receiver: receiverId, delivered: true, error: null });
    const got = (await eventually(() => hook.received.find((r) => r.path === '/all' && r.body.type === 'test')))!;
    const [, ts, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(got.headers['x-modelgate-signature']))!;
    expect(mac).toBe(createHmac('sha256', SECRET).update(`${ts}.${got.raw}`).digest('hex'));

    await hook.down();
    const down = await t.http.post(`/api/v1/receivers/${aliasOnlyId}/test`).set(t.admin).expect(200);
    expect(down.body.delivered).toBe(false);
    expect(down.body.error).toMatch(/ECONNREFUSED/);
    await hook.up();

    const pd = await t.http.post('/api/v1/receivers').set(t.admin).send({ type: 'pagerduty', routing_key: 'R0UT1NG', events: ['alias.*'] });
    expect(pd.status).toBe(400);
    const bad = await t.http.post('/api/v1/receivers').set(t.admin).send({ type: 'webhook', url: hook.url, events: ['alias.renamed'] });
    expect(bad.status).toBe(400);
    expect((await t.http.post('/api/v1/receivers/nope/test').set(t.admin)).status).toBe(404);
  });
});
