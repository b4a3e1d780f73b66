import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { describeWithBinary } from './support/binaries.js';
import { buildConsole, expectAccessible, screenshot } from './support/browser.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { readFixtureCsv } from './support/onnx-fixtures.js';
import { createModel, fixture, fixtureBytes, setAlias, uploadOk } from './support/registry.js';
import { rollout, rolloutReaches, startRollout, trafficLoop } from './support/rollouts.js';
import { inject, instanceOf } from './support/serving.js';

/**
 * The console's release tabs in a real browser against the real service:
 * a rollout of the same model (2 s monitor windows, a long first step so it
 * stays there) is watched and paused from the Rollouts tab; a held move of
 * production is refused to its requester and approved by a second person
 * from the Approvals tab; the Events tab lists what happened.
 */
const WINDOW_S = 2;
const expected = JSON.parse(fixtureBytes('loan_default_xgb.expected.json').toString('utf8'));
const FEATURES: string[] = expected.feature_names;
const csv = readFixtureCsv('loan_default_xgb.test.csv');
const metadata = { feature_names: FEATURES, categorical_features: expected.categorical_features };

describeWithBinary('chromium', 'chromium', "the console's rollouts, approvals and events", (chromiumPath) => {
  let db: TestDatabase;
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let rolloutId: number;
  const keys: Record<'writer' | 'requester' | 'approver' | 'reader', string> = { writer: '', requester: '', approver: '', reader: '' };

  const createKey = async (auth: Record<string, string>, name: string, scopes: string[]) => {
    const res = await t.http.post('/api/v1/keys').set(auth).send({ name, scopes });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body as { id: string; key: string };
  };

  async function signedIn(key: string, path: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${base}/ui/`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
    await page.goto(`${base}/ui${path}`);
    await page.locator('[data-ready="true"]').waitFor();
    return page;
  }

  beforeAll(async () => {
    const ui = await buildConsole();
    db = await createTestDatabase();
    t = await startTestApp({
      db,
      uiDir: ui,
      env: { MODELGATE_MONITOR_FLUSH_MS: '100', MODELGATE_TELEMETRY_FLUSH_MS: '100', MODELGATE_LEADER_POLL_MS: '100', MODELGATE_ROLLOUT_TICK_MS: '100' },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(t.app.getHttpServer().address() as { port: number }).port}`;
    for (const model of ['loan', 'credit']) {
      await createModel(t, model, 'binary_classification', { monitoring_policy: { window_seconds: WINDOW_S, min_samples: 100 } });
      for (let v = 1; v <= 2; v++) await uploadOk(t, model, { file: fixture('loan_default_xgb.onnx'), baseline: fixture('loan_default_xgb.valid.csv'), metadata });
      await setAlias(t, model, 'production', 1, 'first release');
    }
    keys.writer = (await createKey(t.admin, 'release engineer', ['registry:write'])).key;
    keys.requester = (await createKey(t.admin, 'requester', ['registry:write', 'approve'])).key;
    const otherAdmin = (await createKey(t.admin, 'second admin', ['admin'])).key;
    keys.approver = (await createKey({ Authorization: `Bearer ${otherAdmin}` }, 'approver', ['approve', 'registry:read'])).key;
    keys.reader = (await createKey(t.admin, 'viewer', ['registry:read'])).key;
    await eventually(async () => (await inject(t, 'POST', '/v1/models/loan/predict', { instances: [instanceOf(FEATURES, csv.data, 0)] })).statusCode === 200, 30_000);
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await db?.drop();
  });

  it("shows a running rollout's steps, current weight and each check's result, and pauses it from the page with a reason", { timeout: 120_000 }, async () => {
    // Unlabelled traffic: error rate and latency are judged, AUC cannot be and holds the step.
    const load = trafficLoop(async (i) => {
      const start = (i * 20) % (csv.rows - 20);
      await inject(t, 'POST', '/v1/models/loan/predict', { instances: Array.from({ length: 20 }, (_, k) => instanceOf(FEATURES, csv.data, start + k)) });
    }, 5);
    try {
      const r = await startRollout(t, 'loan', {
        candidate: 2,
        steps: [20, 50, 100],
        step_min_duration_s: 3_600,
        analysis: { auc: { min_labels: 100, margin: 0.05, confidence: 0.95 }, p99_max_ms: 500 },
        reason: 'same model, console test',
      });
      rolloutId = r.id;
      await rolloutReaches(t, 'loan', r.id, ['running']);
      await eventually(async () => ((await rollout(t, 'loan', r.id)).steps[0].windows?.length ?? 0) > 0, 60_000, 200);
    } finally {
      await load.stop();
    }

    const page = await signedIn(keys.writer, '/models/loan');
    await page.getByRole('link', { name: 'Rollouts' }).click();
    await page.getByRole('heading', { name: 'loan: rollouts', level: 1 }).waitFor();
    await page.getByTestId('rollout-state').waitFor();
    expect(await page.getByTestId('rollout-state').textContent()).toBe('running');
    expect(await page.getByTestId('rollout-weight').getAttribute('aria-label')).toBe('Rollout weight: Candidate version 2: 20%, baseline version 1: 80%');
    const steps = page.getByTestId('rollout-steps');
    expect(await steps.getByRole('row').allTextContents()).toEqual(expect.arrayContaining([expect.stringMatching(/^1 of 3 \(current\)20%running now/), expect.stringMatching(/^2 of 350%waiting/)]));
    const checks = page.getByRole('table', { name: /Checks of step 1 \(20%\)/ });
    await expect.poll(async () => (await checks.getByRole('row', { name: /Error rate/ }).first().textContent()) ?? '').toMatch(/Error rate(pass|hold)/);
    expect(await checks.getByRole('row', { name: /AUC \(DeLong\)/ }).first().textContent()).toMatch(/^AUC \(DeLong\)hold/);
    await expectAccessible(page, 'rollouts tab');
    await screenshot(page, 'releases-1-rollouts');

    await page.getByLabel(/^Reason/).fill('holding for the quarter-end freeze');
    await page.getByRole('button', { name: 'Pause' }).click();
    await expect.poll(() => page.getByTestId('rollout-state').textContent()).toBe('paused');
    expect(await page.getByRole('status').filter({ hasText: 'Rollout' }).textContent()).toBe(`Rollout ${rolloutId} paused: now paused.`);
    expect(await page.getByRole('button', { name: 'Resume' }).isEnabled()).toBe(true);
    const after = await rollout(t, 'loan', rolloutId);
    expect(after.state).toBe('paused');
    expect(after.state_reason).toContain('holding for the quarter-end freeze');
    await page.context().close();
  });

  it('disables the rollout actions for a read-only key and says which scope is missing', async () => {
    const page = await signedIn(keys.reader, '/models/loan/rollouts');
    const resume = page.getByRole('button', { name: 'Resume' });
    expect(await resume.isDisabled()).toBe(true);
    expect(await page.locator('#rollout-denied').textContent()).toBe('Needs the registry:write scope; your key “viewer” holds registry:read.');
    await page.context().close();
  });

  it("refuses the requester's own approval with the service's reason, and approves a held move of production from a second person's page", async () => {
    const patched = await t.http.patch('/api/v1/models/credit').set(t.admin).send({ release_policy: { require_approval: true } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const held = await t.http.put('/api/v1/models/credit/aliases/production').set({ Authorization: `Bearer ${keys.requester}` }).send({ version: 2, reason: 'release v2' });
    expect(held.status, JSON.stringify(held.body)).toBe(202);

    const own = await signedIn(keys.requester, '/models/credit/approvals');
    const pending = own.getByRole('listitem').filter({ hasText: 'Move production to version 2' });
    await pending.getByLabel('Comment').fill('my own change');
    await pending.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(async () => (await pending.getByRole('alert').textContent()) ?? '').toContain('(SELF_APPROVAL)');
    expect(await pending.getByRole('alert').textContent()).toMatch(/^Refused: a request needs a second person/);
    await own.context().close();

    const page = await signedIn(keys.approver, '/models/credit/approvals');
    const item = page.getByRole('listitem').filter({ hasText: 'Move production to version 2' });
    expect(await item.textContent()).toContain('release v2');
    await expectAccessible(page, 'approvals tab');
    await screenshot(page, 'releases-2-approvals');
    await item.getByLabel('Comment').fill('metrics reviewed');
    await item.getByRole('button', { name: 'Approve' }).click();
    await page.getByText(/^Request [0-9a-f]{8} approved\.$/).waitFor();
    await expect.poll(() => page.getByTestId('requests').getByRole('row').nth(1).textContent()).toMatch(/Move production to version 2approved.+ at .+metrics reviewed$/);
    expect(await page.getByText('No request is waiting.').isVisible()).toBe(true);
    expect((await t.http.get('/api/v1/models/credit').set(t.admin).expect(200)).body.aliases).toEqual({ production: 2 });
    await page.context().close();
  });

  it('disables approve and reject for a key without approve, admin included, and says why', async () => {
    await t.http.put('/api/v1/models/credit/aliases/production').set({ Authorization: `Bearer ${keys.requester}` }).send({ version: 1, reason: 'back to v1' }).expect(202);
    const page = await signedIn(keys.writer, '/models/credit/approvals');
    const item = page.getByRole('listitem').filter({ hasText: 'Move production to version 1' });
    expect(await item.getByRole('button', { name: 'Approve' }).isDisabled()).toBe(true);
    expect(await item.getByRole('button', { name: 'Reject' }).isDisabled()).toBe(true);
    expect(await item.locator('.refusal').textContent()).toBe('Needs the approve scope held by the key itself (admin does not count); your key “release engineer” holds registry:write.');
    await page.context().close();
  });

  it('lists the registry events newest first and filters them by type family', async () => {
    const page = await signedIn(keys.approver, '/models/credit/events');
    const table = page.getByTestId('events');
    const types = async () => (await table.locator('tbody td:nth-child(2)').allTextContents()).map((s) => s.trim());
    const all = await types();
    // The approval and the move it made are one transaction: their order between them is the service's.
    expect(all[0]).toBe('approval.requested');
    expect(all.slice(1, 3).sort()).toEqual(['alias.moved', 'approval.decided']);
    expect(all).toContain('version.created');
    await expectAccessible(page, 'events tab');
    await screenshot(page, 'releases-3-events');
    await page.getByLabel('Type').selectOption('alias.*');
    await expect.poll(types).toEqual(['alias.moved', 'alias.moved']);
    expect(await table.locator('tbody tr').first().textContent()).toContain('alias production: 1 → 2');
    await page.context().close();
  });
});
