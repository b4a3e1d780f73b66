import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from './support/app.js';
import { eventually } from './support/app.js';
import { type AppProcess, ensureBuilt, spawnApp } from './support/app-process.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';
import { rollout, rolloutReaches, startRollout, trafficLoop } from './support/rollouts.js';
import { startS3, type TestS3 } from './support/s3.js';

const WINDOW_S = 2;
const FEATURES = ['f0', 'f1', 'f2'];

/**
 * The rollout driver is an elected job: with two instances as processes of
 * their own, a SIGKILL of the one driving a rollout mid-step hands it to
 * the other, which continues from the recorded step (no step is repeated,
 * no traffic move is written twice) and completes it.
 */
describe('a rollout survives a kill -9 of the instance driving it', { timeout: 240_000 }, () => {
  let db: TestDatabase;
  let s3: TestS3;
  const apps: AppProcess[] = [];
  const asTestApp = (a: AppProcess) => ({ http: a.http, admin: a.admin }) as unknown as TestApp;

  beforeAll(async () => {
    ensureBuilt();
    db = await createTestDatabase();
    s3 = await startS3();
    const env = {
      DATABASE_URL: db.url,
      DATABASE_POOL_SIZE: '4',
      S3_BUCKET: s3.bucket,
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      S3_REGION: 'us-east-1',
      MODELGATE_LEADER_POLL_MS: '100',
      MODELGATE_MONITOR_FLUSH_MS: '100',
      MODELGATE_TELEMETRY_FLUSH_MS: '100',
      MODELGATE_ROLLOUT_TICK_MS: '100',
      MODELGATE_ALERT_EVAL_MS: '500',
      MODELGATE_RECONCILE_MS: '1000',
    };
    // One after the other: the first to start leads and both migrate without racing.
    apps.push(await spawnApp('a', env));
    await eventually(() => apps[0].leading, 15_000);
    apps.push(await spawnApp('b', env));
    const t = asTestApp(apps[1]);
    await createModel(t, 'credit', 'binary_classification', { monitoring_policy: { window_seconds: WINDOW_S, min_samples: 10 } });
    for (let v = 1; v <= 2; v++) await uploadOk(t, 'credit', { file: logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias: 0, featureNames: FEATURES }) });
    await setAlias(t, 'credit', 'production', 1);
  }, 300_000);
  afterAll(async () => {
    await Promise.all(apps.map((a) => a.stop()));
    await s3?.stop();
    await db?.drop();
  });

  it('continues from the same step on the other instance and completes, each traffic move written once', async () => {
    const [a, b] = apps;
    for (const x of apps) {
      await eventually(async () => (await x.http.post('/v1/models/credit/predict').set(x.admin).send({ instances: [{ f0: 1, f1: 2, f2: 3 }] })).status === 200, 30_000, 100);
    }
    // Requests to both instances, so the survivor's traffic keeps the windows judged.
    const load = trafficLoop(async (i) => {
      const target = apps.find((x, k) => k === i % 2 && x.proc.exitCode === null && x.proc.signalCode === null) ?? b;
      await target.http.post('/v1/models/credit/predict').set(target.admin).send({ instances: Array.from({ length: 5 }, (_, k) => ({ f0: (i + k) % 7, f1: 2, f2: 3 })) });
    }, 5);
    try {
      const r = await startRollout(asTestApp(b), 'credit', {
        candidate: 2,
        steps: [20, 50, 100],
        step_min_duration_s: 3 * WINDOW_S,
        // This test is about who drives, not what is judged: a loaded machine's p99 swings too much to hold it to a factor.
        analysis: { auc: null, p99_max_ms: 5_000 },
        reason: 'kill test',
      });
      // Kill the leader in the middle of step 2.
      await eventually(async () => (await rollout(asTestApp(b), 'credit', r.id)).current_step === 2, 90_000, 100);
      expect(a.leading).toBe(true);
      const before = await rollout(asTestApp(b), 'credit', r.id);
      await a.kill9();
      await eventually(() => b.leading, 20_000, 50);
      const done = await rolloutReaches(asTestApp(b), 'credit', r.id, ['completed', 'aborted'], 120_000);
      expect(done.state, done.state_reason).toBe('completed');
      // Step 2 was not started again: it ran once, from the moment recorded before the kill.
      expect(done.steps[1].started_at).toBe(before.steps[1].started_at);
      expect(done.steps[1].revision).toBe(before.steps[1].revision);
      const moves = await withClient(db.url, async (c) =>
        (await c.query(`SELECT change, reason FROM serving_revisions WHERE actor = $1 ORDER BY revision`, [`rollout:${r.id}`])).rows,
      );
      expect(moves.map((m) => m.change)).toEqual(['traffic_set', 'traffic_set', 'traffic_set', 'alias_set']);
      const traffic = (await b.http.get('/api/v1/models/credit/traffic').set(b.admin)).body;
      expect(traffic.aliases.production).toBe(2);
      expect(traffic.policy).toBeNull();
    } finally {
      await load.stop();
    }
  });
});
