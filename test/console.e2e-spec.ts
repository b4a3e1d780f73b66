import { readFileSync } from 'node:fs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parseBaselineUpload } from '../src/monitoring/sketch/baseline-input.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { describeWithBinary } from './support/binaries.js';
import { buildConsole, expectAccessible, screenshot } from './support/browser.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createModel, fixture, fixtureBytes, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';

/**
 * The console in a real browser (Debian's chromium, headless, driven by
 * playwright-core) against the real service on loopback. loan_default_xgb
 * serves with a 90/10 split; one window of its test rows is sent with three
 * features shifted by half a standard deviation (as drift.e2e-spec.ts does),
 * which the drift check flags and the feature_drift rule pages.
 */
// Long enough that a loaded machine still sends a window's rows inside it.
const WINDOW_MS = 6_000;
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
const row = (i: number, shifted: boolean) =>
  Object.fromEntries(
    FEATURES.map((f, j) => {
      const v = test.columns[j][i] + (shifted && f in shiftBy ? shiftBy[f] : 0);
      return [f, Number.isNaN(v) ? null : v];
    }),
  );

describeWithBinary('chromium', 'chromium', 'the console in a real browser', (chromiumPath) => {
  let db: TestDatabase;
  let t: TestApp;
  let ui: string;
  let base: string;
  let browser: Browser;
  let writer: string;
  let reader: string;
  const cspErrors: string[] = [];

  /** Sends rows early in a fresh window so that all land in it; returns the window's start. */
  async function sendWindow(url: string, rows: Record<string, number | null>[], perRequest = 100): Promise<{ start: number; ids: string[] }> {
    await eventually(() => Date.now() % WINDOW_MS < 150, WINDOW_MS + 1_000, 5);
    const start = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
    const ids: string[] = [];
    for (let i = 0; i < rows.length; i += perRequest) {
      const res = await inject(t, 'POST', url, { instances: rows.slice(i, i + perRequest) });
      expect(res.statusCode, res.body).toBe(200);
      ids.push(...(JSON.parse(res.body).predictions as { prediction_id: string }[]).map((p) => p.prediction_id));
    }
    expect(Date.now()).toBeLessThan(start + WINDOW_MS);
    return { start, ids };
  }

  async function signedIn(key: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspErrors.push(m.text());
    });
    await page.goto(`${base}/ui/`);
    await page.getByLabel('API key').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Models', level: 1 }).waitFor();
    return page;
  }

  beforeAll(async () => {
    ui = await buildConsole();
    db = await createTestDatabase();
    t = await startTestApp({
      db,
      uiDir: ui,
      env: { MODELGATE_MONITOR_FLUSH_MS: '100', MODELGATE_LEADER_POLL_MS: '100', MODELGATE_ALERT_EVAL_MS: '200' },
    });
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    const addr = t.app.getHttpServer().address() as { port: number };
    base = `http://127.0.0.1:${addr.port}`;
    await createModel(t, 'loan', 'binary_classification', {
      description: 'Probability that a personal loan defaults within a year.',
      owner: 'credit-risk team',
      tags: { team: 'credit', tier: 'gold' },
      monitoring_policy: { window_seconds: WINDOW_MS / 1000, min_samples: 500, for_windows: 1 },
    });
    await createModel(t, 'churn', 'binary_classification', { tags: { team: 'growth' } });
    const metadata = { feature_names: FEATURES, categorical_features: spec.categorical, metrics: { auc: expected.valid_auc }, lineage: { run: 'train-2026-12-01' } };
    for (let i = 0; i < 2; i++) await uploadOk(t, 'loan', { file: fixture('loan_default_xgb.onnx'), baseline: fixture('loan_default_xgb.valid.csv'), metadata });
    await setAlias(t, 'loan', 'production', 1, 'first release');
    const traffic = await t.http
      .put('/api/v1/models/loan/traffic')
      .set(t.admin)
      .send({ routes: [{ alias: 'production', weight: 90 }, { version: 2, weight: 10, name: 'candidate' }], reason: 'try v2 on a tenth' });
    expect(traffic.status, JSON.stringify(traffic.body)).toBe(200);
    const key = async (name: string, scopes: string[]) => (await t.http.post('/api/v1/keys').set(t.admin).send({ name, scopes }).expect(201)).body.key as string;
    writer = await key('on-call engineer', ['registry:write', 'monitor:read', 'monitor:write']);
    reader = await key('console viewer', ['registry:read', 'monitor:read']);

    // A routed window, labelled, for live AUC per variant; then a shifted window on production.
    await eventually(async () => (await inject(t, 'POST', '/v1/models/loan/predict', { instances: [row(0, false)] })).statusCode === 200, 30_000);
    // The split routes whole requests: small ones, so that both variants get some.
    const routed = await sendWindow('/v1/models/loan/predict', Array.from({ length: ROWS }, (_, i) => row(i, false)), 10);
    const labels = routed.ids.map((id, i) => ({ prediction_id: id, label: String(test.labels![i]) }));
    const fb = await inject(t, 'POST', '/v1/feedback', labels);
    expect(fb.statusCode, fb.body).toBe(200);
    await sendWindow('/v1/models/loan/aliases/production/predict', Array.from({ length: ROWS }, (_, i) => row(ROWS + i, true)));
    await eventually(async () => {
      const r = await t.http.get('/api/v1/alerts').query({ state: 'firing', model: 'loan' }).set(t.admin);
      return r.body.alerts?.some((a: { rule: string }) => a.rule === 'feature_drift');
    }, 30_000, 100);
    browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await db?.drop();
  });

  it('signs in with a key kept for the session only, and lists the models with what serves them and their health', async () => {
    const page = await signedIn(writer);
    expect(await page.evaluate('({ session: Object.keys(sessionStorage), local: Object.keys(localStorage) })')).toEqual({ session: ['modelgate.apiKey', 'modelgate.keySelf'], local: [] });
    const loan = page.getByRole('row', { name: /loan/ });
    await expect.poll(() => loan.textContent()).toMatch(/[1-9] firing alerts?/);
    expect(await loan.textContent()).toContain('candidate (v2) 10%');
    await page.getByLabel('Name contains').fill('chu');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(1);
    expect(await page.locator('table.list tbody').textContent()).toContain('churn');
    await page.getByLabel('Name contains').fill('');
    await page.getByRole('button', { name: 'Search' }).click();
    await expect.poll(() => page.locator('table.list tbody tr').count()).toBe(2);
    await expectAccessible(page, 'models page');
    await screenshot(page, '1-models');
    await page.context().close();
  });

  it('opens a model, shows the split, and moves an alias with a reason that the history shows', async () => {
    const page = await signedIn(writer);
    await page.getByRole('link', { name: 'loan', exact: true }).click();
    await page.getByRole('heading', { name: /^loan/, level: 1 }).waitFor();
    const bar = page.getByTestId('traffic-bar');
    expect(await bar.getAttribute('aria-label')).toBe('Traffic split: production (version 1): 90%, candidate (version 2): 10%');
    await page.locator('[data-ready="true"]').waitFor();
    // The versions' labelled baseline calibrates them: the AUC estimated from the scores stands beside the live one, marked as an estimate.
    expect(await page.getByTestId('live-quality').getByRole('row', { name: /production/ }).textContent()).toMatch(/est\. 0\.\d{3} \(95%: 0\.\d{3}–(0|1)\.\d{3}\)/);
    await expectAccessible(page, 'model page');
    await screenshot(page, '2-model');

    await page.getByLabel('Alias', { exact: true }).fill('staging');
    await page.getByLabel('Version', { exact: true }).selectOption('2');
    await page.locator('#alias-reason').fill('v2 passed the offline checks');
    await page.getByRole('button', { name: 'Move alias' }).click();
    await page.getByRole('status').filter({ hasText: 'Alias staging now points at version 2' }).waitFor();
    const newest = page.getByTestId('history').locator('tbody tr').first();
    await expect.poll(() => newest.textContent()).toContain('v2 passed the offline checks');
    expect(await newest.textContent()).toContain('staging: — → v2');
    const history = await t.http.get('/api/v1/models/loan/history').set(t.admin).expect(200);
    expect(history.body.revisions[0]).toMatchObject({ change: 'alias_set', alias: 'staging', reason: 'v2 passed the offline checks' });
    await page.context().close();
  });

  it('disables the actions of a read-only key and says why', async () => {
    const page = await signedIn(reader);
    await page.goto(`${base}/ui/models/loan`);
    const move = page.getByRole('button', { name: 'Move alias' });
    await move.waitFor();
    expect(await move.isDisabled()).toBe(true);
    expect(await page.locator('#alias-denied').textContent()).toBe('Needs the registry:write scope; your key “console viewer” holds registry:read, monitor:read.');
    expect(await page.getByRole('button', { name: 'Apply traffic' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Roll back' }).isDisabled()).toBe(true);
    await page.goto(`${base}/ui/alerts`);
    await page.getByRole('heading', { name: 'Alerts', level: 1 }).waitFor();
    expect(await page.getByRole('button', { name: 'Acknowledge' }).first().isDisabled()).toBe(true);
    await page.context().close();
  });

  it("shows a version's signature, features and baseline histograms", async () => {
    const page = await signedIn(writer);
    await page.goto(`${base}/ui/models/loan/versions/1`);
    await page.getByRole('heading', { name: 'loan version 1' }).waitFor();
    await page.getByRole('table', { name: `${FEATURES.length} features, in the model's order` }).waitFor();
    await expect.poll(() => page.locator('figure.chart').count()).toBeGreaterThanOrEqual(FEATURES.length);
    await expectAccessible(page, 'version page');
    await screenshot(page, '3-version');
    await page.context().close();
  });

  it('highlights the features drifted by the shifted traffic, and draws live AUC per variant', async () => {
    const page = await signedIn(writer);
    await page.goto(`${base}/ui/models/loan/monitoring`);
    await page.getByLabel('Series (version and variant)').selectOption('1:production');
    const table = page.getByTestId('feature-drift');
    await table.waitFor();
    // The page highlights what the service's drift check flagged. Which of
    // the three shifted features one window of 600 rows flags is the
    // statistics' business (drift.e2e-spec.ts): employment_years went
    // unflagged in one loaded run. So: the check's own set, at least two of
    // the shifted features, and none of the others.
    const highlighted = async () => (await page.locator('tr.drifted[data-drifted="true"]').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-feature')))).sort();
    await expect.poll(async () => (await highlighted()).length).toBeGreaterThanOrEqual(2);
    const drift = await t.http.get('/api/v1/models/loan/drift').query({ version: 1, variant: 'production' }).set(t.admin);
    expect(drift.status, JSON.stringify(drift.body)).toBe(200);
    const flagged = (drift.body.checks as { drifted_features: string[] }[]).map((c) => [...c.drifted_features].sort().join(','));
    expect(flagged).toContain((await highlighted()).join(','));
    expect((await highlighted()).every((f) => f !== null && f in SHIFT)).toBe(true);
    expect(await page.locator('tr[data-feature="income"]').getAttribute('class')).toBeNull();
    await page.locator('.card.drifted figure.chart').first().waitFor();
    await page.getByRole('table', { name: 'Per variant over the whole range' }).waitFor();
    const whole = page.getByRole('table', { name: 'Per variant over the whole range' });
    expect(await whole.textContent()).toContain('candidate');
    expect(await whole.getByRole('row', { name: /production/ }).textContent()).toMatch(/est\. 0\.\d{3} \(95%: 0\.\d{3}–(0|1)\.\d{3}\)/);
    await expectAccessible(page, 'monitoring page');
    await screenshot(page, '4-monitoring');
    await page.context().close();
  });

  it('acknowledges a firing alert and silences a rule from the alerts page', async () => {
    const page = await signedIn(writer);
    await page.getByRole('link', { name: 'Alerts' }).click();
    const firing = page.getByRole('table', { name: 'Firing, not acknowledged' });
    await firing.waitFor();
    const alertRow = firing.locator('tr', { hasText: 'feature drift' });
    await alertRow.getByLabel(/Note for acknowledging/).fill('looking at the upstream feed');
    await expectAccessible(page, 'alerts page');
    await screenshot(page, '5-alerts');
    await alertRow.getByRole('button', { name: 'Acknowledge' }).click();
    const acked = page.getByRole('table', { name: 'Firing, acknowledged' });
    await acked.waitFor();
    expect(await acked.textContent()).toContain('acknowledged by');
    expect(await acked.textContent()).toContain('looking at the upstream feed');
    const api = await t.http.get('/api/v1/alerts').query({ state: 'acknowledged', model: 'loan' }).set(t.admin).expect(200);
    expect(api.body.alerts.map((a: { rule: string }) => a.rule)).toContain('feature_drift');

    await page.getByLabel(/^Model \(glob/).fill('loan');
    await page.getByLabel('Rule').selectOption('prediction_drift');
    await page.getByLabel('Reason', { exact: true }).fill('retraining tonight');
    await page.getByRole('button', { name: 'Silence', exact: true }).click();
    await page.getByTestId('silences').waitFor();
    expect(await page.getByTestId('silences').textContent()).toContain('retraining tonight');
    const silences = await t.http.get('/api/v1/silences').query({ active: 'true' }).set(t.admin).expect(200);
    expect(silences.body.silences).toMatchObject([{ matchers: { model: 'loan', rule: 'prediction_drift' }, reason: 'retraining tonight' }]);
    await page.context().close();
  });

  it('breaks no rule of its own CSP', () => {
    expect(cspErrors).toEqual([]);
  });
});
