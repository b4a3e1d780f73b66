import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';

const FEATURES = ['f0', 'f1', 'f2'];
const classifier = (bias = 0, featureNames = FEATURES) => logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias, featureNames });
const BASELINE = ['f0,f1,f2', ...Array.from({ length: 60 }, (_, i) => `${(i % 7) / 3},${(i % 5) / 2},${(i % 3) - 1}`)].join('\n');
const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

/**
 * Promotion gates and approvals (PRODUCT.md "Promotion gates", "Releases"):
 * each gate refuses with its name, force passes and is kept in the history,
 * and a held move happens once, on a second key's approval.
 */
describe('promotion gates', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const put = (model: string, alias: string, body: Record<string, unknown>, auth = t.admin) => t.http.put(`/api/v1/models/${model}/aliases/${alias}`).set(auth).send(body);
  const patchPolicy = async (model: string, release_policy: unknown) => {
    const res = await t.http.patch(`/api/v1/models/${model}`).set(t.admin).send({ release_policy });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };
  const aliasesOf = async (model: string) => (await t.http.get(`/api/v1/models/${model}`).set(t.admin).expect(200)).body.aliases;
  const failedGates = (body: any) => body.error.details.gates.filter((g: any) => g.result === 'failed').map((g: any) => (g.metric ? `${g.gate}.${g.metric}` : g.gate));

  it('refuses to move production to a version with other features, naming the signature gate, and records the refusal', async () => {
    await createModel(t, 'sig');
    await uploadOk(t, 'sig', { file: classifier(0) });
    await uploadOk(t, 'sig', { file: classifier(1, ['age', 'income', 'debt']) });
    await setAlias(t, 'sig', 'production', 1, 'a new alias has nothing to be compatible with');

    const res = await put('sig', 'production', { version: 2, reason: 'new features' });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('GATE_FAILED');
    expect(res.body.error.details).toMatchObject({ model: 'sig', alias: 'production', version: 2, failed: ['signature'] });
    expect(failedGates(res.body)).toEqual(['signature']);
    expect(res.body.error.details.gates.find((g: any) => g.gate === 'signature').detail).toMatch(/age, income, debt/);
    expect(await aliasesOf('sig')).toEqual({ production: 1 });

    const events = (await t.http.get('/api/v1/events?model=sig&type=gate.refused').set(t.admin).expect(200)).body.events;
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'gate.refused', model: 'sig', version: 2, actor: 'admin-token', data: { alias: 'production', failed: ['signature'] } });
  });

  it('does not gate an alias the policy does not guard, and guards the aliases it names', async () => {
    await setAlias(t, 'sig', 'staging', 2);
    await patchPolicy('sig', { guarded_aliases: ['production', 'staging'] });
    const res = await put('sig', 'staging', { version: 1 });
    expect(res.status).toBe(409);
    expect(failedGates(res.body)).toEqual(['signature']);
  });

  it('refuses a version without a training baseline when the policy requires one', async () => {
    await createModel(t, 'base', 'binary_classification', { release_policy: { require_baseline: true } });
    await uploadOk(t, 'base', { file: classifier(0) });
    await uploadOk(t, 'base', { file: classifier(0), baseline: BASELINE });
    const res = await put('base', 'production', { version: 1 });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('GATE_FAILED');
    expect(failedGates(res.body)).toEqual(['baseline']);
    expect((await put('base', 'production', { version: 2 })).status).toBe(200);
  });

  it('refuses a metric under its bar or too far below what production serves, naming each', async () => {
    await createModel(t, 'metric');
    await patchPolicy('metric', { min_metrics: { auc: 0.85 }, max_metric_drop: { auc: 0.01 } });
    for (const auc of [0.9, 0.8, 0.88, 0.895]) await uploadOk(t, 'metric', { file: classifier(0), metadata: { metrics: { auc } } });
    await setAlias(t, 'metric', 'production', 1);

    const under = await put('metric', 'production', { version: 2 });
    expect(under.status).toBe(409);
    expect(failedGates(under.body)).toEqual(['min_metrics.auc', 'max_metric_drop.auc']);
    const bar = under.body.error.details.gates.find((g: any) => g.gate === 'min_metrics');
    expect(bar).toMatchObject({ metric: 'auc', value: 0.8, bar: 0.85, result: 'failed' });

    const dropped = await put('metric', 'production', { version: 3 });
    expect(failedGates(dropped.body)).toEqual(['max_metric_drop.auc']);
    expect((await put('metric', 'production', { version: 4 })).status).toBe(200);
  });

  it('passes failing gates with force and a reason, and keeps the move in the history as forced', async () => {
    const noReason = await put('metric', 'production', { version: 2, force: true });
    expect(noReason.status).toBe(400);
    expect(await aliasesOf('metric')).toEqual({ production: 4 });

    const forced = await put('metric', 'production', { version: 2, force: true, reason: 'hotfix: v4 leaks PII' });
    expect(forced.status, JSON.stringify(forced.body)).toBe(200);
    expect(await aliasesOf('metric')).toEqual({ production: 2 });
    const [latest, previous] = (await t.http.get('/api/v1/models/metric/history').set(t.admin).expect(200)).body.revisions;
    expect(latest).toMatchObject({ change: 'alias_set', alias: 'production', forced: true, reason: 'hotfix: v4 leaks PII' });
    expect(latest.gates.filter((g: any) => g.result === 'failed').map((g: any) => g.gate)).toEqual(['min_metrics', 'max_metric_drop']);
    expect(previous.forced).toBe(false);
    const moved = (await t.http.get('/api/v1/events?model=metric&type=alias.moved&limit=1').set(t.admin).expect(200)).body.events[0];
    expect(moved.data).toMatchObject({ alias: 'production', from: 4, to: 2, forced: true });
  });

  it('never gates a rollback', async () => {
    const res = await t.http.post('/api/v1/models/sig/rollback').set(t.admin).send({ to_revision: 1, reason: 'back to the first state' });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const back = await t.http.post('/api/v1/models/sig/rollback').set(t.admin).send({ reason: 'and forward again' });
    expect(back.status).toBe(200);
    expect(await aliasesOf('sig')).toEqual({ production: 1, staging: 2 });
  });

  it('refuses a release policy that is not one, saying which field', async () => {
    for (const bad of [{ min_metrics: { auc: 'high' } }, { guarded_aliases: ['Production!'] }, { require_approval: 'yes' }, { max_metric_drop: { auc: -0.1 } }, { unknown: 1 }]) {
      const res = await t.http.patch('/api/v1/models/metric').set(t.admin).send({ release_policy: bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.body.error.code).toBe('VALIDATION_FAILED');
    }
    expect((await t.http.get('/api/v1/models/metric').set(t.admin).expect(200)).body.release_policy).toEqual({ min_metrics: { auc: 0.85 }, max_metric_drop: { auc: 0.01 } });
  });
});

describe('approvals', () => {
  let db: TestDatabase;
  let t: TestApp;
  /** Requester: may write and approve, minted by the admin token. */
  let requester: Record<string, string>;
  /** Holds approve, minted by the same creator as the requester: not a second person. */
  let sameCreator: Record<string, string>;
  /** Holds approve, minted by another admin key. */
  let approver: Record<string, string>;
  let requesterId: string;

  const createKey = async (auth: Record<string, string>, scopes: string[]) => {
    const res = await t.http.post('/api/v1/keys').set(auth).send({ name: `key for ${scopes.join(' ')}`, scopes });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; key: string };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
    const r = await createKey(t.admin, ['registry:write', 'approve']);
    requester = bearer(r.key);
    requesterId = r.id;
    sameCreator = bearer((await createKey(t.admin, ['approve'])).key);
    const otherAdmin = bearer((await createKey(t.admin, ['admin'])).key);
    approver = bearer((await createKey(otherAdmin, ['approve', 'registry:read'])).key);
    await createModel(t, 'credit', 'binary_classification', { release_policy: { require_approval: true } });
    for (const bias of [0, 1, 2]) await uploadOk(t, 'credit', { file: classifier(bias) });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const move = (version: number, auth = requester, extra: Record<string, unknown> = {}) =>
    t.http.put('/api/v1/models/credit/aliases/production').set(auth).send({ version, reason: `release v${version}`, ...extra });
  const decide = (id: string, how: 'approve' | 'reject', auth: Record<string, string>, comment = 'looks good') =>
    t.http.post(`/api/v1/models/credit/requests/${id}/${how}`).set(auth).send({ comment });
  const aliases = async () => (await t.http.get('/api/v1/models/credit').set(t.admin).expect(200)).body.aliases;
  const revisions = async () => (await t.http.get('/api/v1/models/credit/history').set(t.admin).expect(200)).body.revisions;

  it('answers a move of a guarded alias with 202 and a pending request, and moves nothing', async () => {
    const res = await move(1);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body.request).toMatchObject({ state: 'pending', model: 'credit', action: { type: 'alias.move', alias: 'production', version: 1 }, reason: 'release v1' });
    expect(await aliases()).toEqual({});
    const audit = (await t.http.get('/api/v1/audit?model=credit&limit=1').set(t.admin).expect(200)).body.entries[0];
    expect(audit).toMatchObject({ method: 'PUT', status: 202, params: { alias: 'production' } });
    const listed = (await t.http.get('/api/v1/models/credit/requests?state=pending').set(requester).expect(200)).body.requests;
    expect(listed.map((r: any) => r.id)).toEqual([res.body.request.id]);
  });

  it("refuses an approval by the requester's own key, by a key of the same creator, and by admin without approve", async () => {
    const [pending] = (await t.http.get('/api/v1/models/credit/requests?state=pending').set(requester).expect(200)).body.requests;
    const own = await decide(pending.id, 'approve', requester);
    expect(own.status).toBe(403);
    expect(own.body.error.code).toBe('SELF_APPROVAL');
    expect((await decide(pending.id, 'approve', sameCreator)).body.error.code).toBe('SELF_APPROVAL');
    const admin = await decide(pending.id, 'approve', t.admin);
    expect(admin.status).toBe(403);
    expect(admin.body.error.code).toBe('APPROVE_SCOPE_REQUIRED');
    expect(await aliases()).toEqual({});
  });

  it('moves the alias once when a second key approves, even when two approvals race', async () => {
    const [pending] = (await t.http.get('/api/v1/models/credit/requests?state=pending').set(requester).expect(200)).body.requests;
    const before = (await revisions()).length;
    const answers = await Promise.all([decide(pending.id, 'approve', approver, 'ok by me'), decide(pending.id, 'approve', approver, 'ok by me too')]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect(answers.find((a) => a.status === 409)!.body.error.code).toBe('REQUEST_NOT_PENDING');
    const approved = answers.find((a) => a.status === 200)!.body;
    expect(approved).toMatchObject({ state: 'approved', comment: expect.stringMatching(/^ok by me/), result: { changed: true } });
    expect(await aliases()).toEqual({ production: 1 });
    const revs = await revisions();
    expect(revs).toHaveLength(before + 1);
    expect(revs[0]).toMatchObject({ change: 'alias_set', alias: 'production', approval_id: pending.id, after: { aliases: { production: 1 } } });
    expect((await decide(pending.id, 'approve', approver)).status).toBe(409);
  });

  it('refuses an approval once what serves has moved since the request', async () => {
    const req = (await move(2).expect(202)).body.request;
    await setAlias(t, 'credit', 'staging', 3, 'an unguarded move in between');
    const res = await decide(req.id, 'approve', approver);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('SERVING_STATE_MOVED');
    expect((await aliases()).production).toBe(1);
    const rejected = await decide(req.id, 'reject', approver, 'stale, ask again');
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ state: 'rejected', comment: 'stale, ask again' });
  });

  it('expires a request nobody decided in time', async () => {
    const req = (await move(2).expect(202)).body.request;
    expect(Date.parse(req.expires_at) - Date.parse(req.created_at)).toBe(86_400_000);
    await withClient(db.url, (c) => c.query(`UPDATE approval_requests SET expires_at = now() - interval '1 second' WHERE id = $1`, [req.id]));
    expect((await t.http.get(`/api/v1/models/credit/requests/${req.id}`).set(requester).expect(200)).body.state).toBe('expired');
    const res = await decide(req.id, 'approve', approver);
    expect(res.body.error.code).toBe('REQUEST_NOT_PENDING');
    expect((await aliases()).production).toBe(1);
  });

  it('lets force pass the gates but never the approval', async () => {
    await t.http.patch('/api/v1/models/credit').set(t.admin).send({ release_policy: { require_approval: true, min_metrics: { auc: 0.99 } } }).expect(200);
    const refused = await move(2);
    expect(refused.status).toBe(409);
    const held = await move(2, requester, { force: true });
    expect(held.status).toBe(202);
    expect(held.body.request.action).toEqual({ type: 'alias.move', alias: 'production', version: 2, force: true });
    const ok = await decide(held.body.request.id, 'approve', approver);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect((await aliases()).production).toBe(2);
    expect((await revisions())[0]).toMatchObject({ forced: true, approval_id: held.body.request.id });
  });

  it('takes an explicit request, checks its gates at once, and lists every state', async () => {
    const bad = await t.http.post('/api/v1/models/credit/requests').set(requester).send({ action: { type: 'alias.move', alias: 'production', version: 3 } });
    expect(bad.status).toBe(409);
    expect(bad.body.error.code).toBe('GATE_FAILED');
    const ok = await t.http.post('/api/v1/models/credit/requests').set(requester).send({ action: { type: 'alias.move', alias: 'production', version: 3, force: true }, reason: 'rush' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    const states = (await t.http.get('/api/v1/models/credit/requests').set(requester).expect(200)).body.requests.map((r: any) => r.state);
    expect(states).toEqual(['pending', 'approved', 'expired', 'rejected', 'approved']);
    const page = await t.http.get('/api/v1/models/credit/requests?limit=2').set(requester).expect(200);
    expect(page.body.requests).toHaveLength(2);
    const next = await t.http.get(`/api/v1/models/credit/requests?limit=2&cursor=${page.body.next_cursor}`).set(requester).expect(200);
    expect(next.body.requests.map((r: any) => r.state)).toEqual(['expired', 'rejected']);
  });

  it('leaves approval.requested and approval.decided events', async () => {
    const events = (await t.http.get('/api/v1/events?model=credit&type=approval.*&limit=100').set(t.admin).expect(200)).body.events.reverse();
    expect(events.map((e: any) => `${e.type}${e.data.decision ? `:${e.data.decision}` : ''}`)).toEqual([
      'approval.requested',
      'approval.decided:approved',
      'approval.requested',
      'approval.decided:rejected',
      'approval.requested',
      'approval.decided:expired',
      'approval.requested',
      'approval.decided:approved',
      'approval.requested',
    ]);
  });

  it('does not let an upload key without approve decide anything', async () => {
    const writer = bearer((await createKey(t.admin, ['registry:write'])).key);
    const [pending] = (await t.http.get('/api/v1/models/credit/requests?state=pending').set(requester).expect(200)).body.requests;
    const res = await decide(pending.id, 'approve', writer);
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('FORBIDDEN');
  });

  it('holds a rollout start for approval, refuses the requester as approver, and starts the rollout once when a second key approves', async () => {
    const current = await aliases();
    const production: number | undefined = current.production ?? current.find?.((a: any) => a.alias === 'production')?.version;
    expect(production).toBeDefined();
    const candidate = production === 3 ? 2 : 3;
    const start = await t.http
      .post('/api/v1/models/credit/rollouts')
      .set(requester)
      // An earlier test set an auc bar no version here clears: force passes gates, never an approval.
      .send({ candidate, steps: [10, 100], step_min_duration_s: 60, reason: 'canary of a new version', force: true });
    expect(start.status, JSON.stringify(start.body)).toBe(202);
    expect(start.body).toMatchObject({ approval_required: true, request: { state: 'pending', action: { type: 'rollout.start', version: candidate }, requested_by: requesterId } });
    const rollouts = async () => (await t.http.get('/api/v1/models/credit/rollouts').set(t.admin).expect(200)).body.rollouts;
    expect(await rollouts()).toEqual([]);
    expect((await decide(start.body.request.id, 'approve', requester)).body.error.code).toBe('SELF_APPROVAL');

    const approved = await decide(start.body.request.id, 'approve', approver, 'ship it');
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ state: 'approved', result: { rollout: expect.any(Number) } });
    expect((await decide(start.body.request.id, 'approve', approver)).status).toBe(409);
    const started = await rollouts();
    expect(started).toHaveLength(1);
    expect(started[0]).toMatchObject({ id: approved.body.result.rollout, candidate_version: candidate, baseline_version: production, created_by: requesterId });
    await t.http.post(`/api/v1/models/credit/rollouts/${started[0].id}/abort`).set(t.admin).send({ reason: 'test over' }).expect(200);
  });
});
