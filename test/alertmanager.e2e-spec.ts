import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeaderElection } from '../src/database/leader-election.js';
import { insertCheck } from './support/alerting.js';
import { alertmanagerAvailable, startAlertmanager, type TestAlertmanager } from './support/alertmanager.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { LoopbackReceiver } from './support/loopback-receiver.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';

const available = alertmanagerAvailable();
if (!available) {
  if (process.env.MODELGATE_TEST_REQUIRE_ALL === '1') throw new Error('prometheus-alertmanager is required (MODELGATE_TEST_REQUIRE_ALL=1)');
  console.warn('skipped: /usr/bin/prometheus-alertmanager not installed (apt-get install prometheus-alertmanager)');
}

describe.skipIf(!available)('delivery to a real Alertmanager', () => {
  let db: TestDatabase;
  let t: TestApp;
  let am: TestAlertmanager;
  let amHook: LoopbackReceiver;
  let window = 0;
  const key = 'churn/1/production/feature_drift';
  const ours = async () => (await am.alerts()).filter((a) => a.labels.dedup_key === key);
  async function windows(kinds: ('drift' | 'clean')[]) {
    for (const k of kinds) {
      await insertCheck(db.url, { model: 'churn', version: 1, window: window++, drifted: k === 'drift' ? ['f0'] : [] });
      await t.app.get(LeaderElection).runAllNow();
    }
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    amHook = await LoopbackReceiver.start();
    // A short resolve_timeout: without the keep-alive, Alertmanager would resolve the alert on its own within 3 s.
    am = await startAlertmanager({ resolveTimeout: '3s', webhookUrl: `${amHook.url}/am-hook` });
    t = await startTestApp({
      db,
      env: {
        MODELGATE_RECEIVERS: JSON.stringify([{ id: 'am', type: 'alertmanager', url: am.url }]),
        MODELGATE_PUBLIC_URL: 'http://modelgate.test',
        MODELGATE_ALERT_EVAL_MS: '3600000',
        MODELGATE_OUTBOX_POLL_MS: '50',
        MODELGATE_ALERTMANAGER_RESEND_MS: '1000',
        MODELGATE_LEADER_POLL_MS: '100',
      },
    });
    await eventually(() => t.app.get(LeaderElection).isLeader, 10_000);
    await createModel(t, 'churn', 'binary_classification', { monitoring_policy: {} });
    await uploadOk(t, 'churn', { file: logisticBinaryClassifier({ weights: [1, 2], bias: 0, featureNames: ['f0', 'f1'] }) });
    await setAlias(t, 'churn', 'production', 1);
  });
  afterAll(async () => {
    await t?.close();
    await am?.stop();
    await amHook?.stop();
    await db?.drop();
  });

  it('shows a firing alert in its own API with our labels, annotations and generator URL', async () => {
    await windows(['drift', 'drift']);
    const a = await eventually(async () => (await ours())[0], 10_000);
    expect(a.status.state).toBe('active');
    expect(a.labels).toMatchObject({ alertname: 'modelgate_feature_drift', model: 'churn', version: '1', variant: 'production', severity: 'warning', rule: 'feature_drift' });
    expect(a.annotations.summary).toBe('feature drift in f0');
    expect(a.generatorURL).toMatch(/^http:\/\/modelgate\.test\/api\/v1\/alerts\//);
    // Alertmanager's own notification shows it reached routing.
    await eventually(() => amHook.received.some((r) => r.body.status === 'firing' && r.body.alerts[0].labels.dedup_key === key), 10_000);
  });

  it('keeps the alert active past resolve_timeout while it still fires, by re-sending it', async () => {
    const [first] = await ours();
    const firstUpdate = Date.parse(first.updatedAt);
    // Poll until Alertmanager has heard of the alert again well after its 3 s resolve_timeout would have ended it.
    const later = await eventually(async () => {
      const [a] = await ours();
      return a && Date.parse(a.updatedAt) > firstUpdate + 3_500 ? a : null;
    }, 15_000, 200);
    expect(later.status.state).toBe('active');
    expect(amHook.received.some((r) => r.body.status === 'resolved')).toBe(false);
  });

  it('shows the alert resolved once it resolves here', async () => {
    await windows(['clean', 'clean']);
    await eventually(async () => (await ours()).length === 0, 10_000, 100);
    const resolved = (await eventually(() => amHook.received.find((r) => r.body.status === 'resolved'), 10_000))!;
    expect(resolved.body.alerts[0]).toMatchObject({ status: 'resolved', labels: { dedup_key: key } });
    expect(Date.parse(resolved.body.alerts[0].endsAt)).toBeLessThanOrEqual(Date.now());
  });
});
