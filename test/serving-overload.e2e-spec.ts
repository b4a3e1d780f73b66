import { spawn } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { logisticBinaryClassifier, slowClassifier, variedFailureClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';

const FEATURES = ['f0', 'f1', 'f2'];
const fast = () => logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias: 0, featureNames: FEATURES });
/** Rows whose feature 0 sets the slow model's run time (3e5 trips: well over 50 ms, under a few seconds). */
const rows = (f0: number, n = 1) => ({ instances: Array.from({ length: n }, () => ({ f0, f1: 2, f2: 3 })) });
const SLOW = 300_000;

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Versions: 1 slow, 2 fast, 3 failing with a different message for each f0 but 0. */
describe('overload and deadlines: bounded queues, shed at once, late requests not run', () => {
  let db: TestDatabase;
  let t: TestApp;
  const metrics = async () => (await t.http.get('/metrics').expect(200)).text;
  const putTraffic = async (name: string, policy: unknown) => {
    const res = await t.http.put(`/api/v1/models/${name}/traffic`).set(t.admin).send(policy as object);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({
      db,
      env: {
        MODELGATE_BATCH_QUEUE_ROWS: '2',
        MODELGATE_BATCH_MAX_SIZE: '2',
        MODELGATE_CIRCUIT_FAILURES: '1000',
        MODELGATE_TELEMETRY_QUEUE_SIZE: '0',
        MODELGATE_DEFAULT_TIMEOUT_MS: '40',
      },
    });
    await createModel(t, 'ov');
    await uploadOk(t, 'ov', { file: slowClassifier({ featureNames: FEATURES }) });
    await uploadOk(t, 'ov', { file: fast() });
    await uploadOk(t, 'ov', { file: variedFailureClassifier({ featureNames: FEATURES }) });
    await setAlias(t, 'ov', 'production', 1);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('answers 503 OVERLOADED with Retry-After at once when the batch queue is full, and counts each shed request', async () => {
    await putTraffic('ov', { routes: [{ version: 1, weight: 100 }], timeout_ms: 60_000 });
    const before = sample(await metrics(), 'modelgate_requests_shed_total{model="ov",reason="queue_full"}');
    // Two rows fill a batch, which starts at once; two more fill the queue; the rest are shed.
    const answers = await Promise.all([rows(SLOW, 2), ...Array.from({ length: 8 }, () => rows(SLOW))].map((b) => inject(t, 'POST', '/v1/models/ov/predict', b)));
    const shed = answers.filter((a) => a.statusCode === 503);
    // How many fit depends on when each request is read; most of the eight queued behind a slow batch cannot.
    expect(answers.filter((a) => a.statusCode === 200).length + shed.length).toBe(9);
    expect(shed.length).toBeGreaterThanOrEqual(4);
    for (const a of shed) {
      expect(a.json().error.code).toBe('OVERLOADED');
      expect(a.headers['retry-after']).toBe('1');
    }
    expect(sample(await metrics(), 'modelgate_requests_shed_total{model="ov",reason="queue_full"}') - before).toBe(shed.length);
  });

  it('does not run a request whose deadline passed while it queued, and answers 504 DEADLINE_EXCEEDED without a fallback', async () => {
    await putTraffic('ov', { routes: [{ version: 1, weight: 100 }], timeout_ms: 50 });
    const runs = async () => sample(await metrics(), 'modelgate_inference_duration_seconds_count{model="ov",version="1"}');
    const before = await runs();
    const [late, queued] = await Promise.all([inject(t, 'POST', '/v1/models/ov/predict', rows(SLOW, 2)), inject(t, 'POST', '/v1/models/ov/predict', rows(0))]);
    expect(late.statusCode).toBe(504);
    expect(queued.statusCode).toBe(504);
    expect(queued.json().error.code).toBe('DEADLINE_EXCEEDED');
    // Only the slow batch ran; the queued request was dropped before its batch.
    expect((await runs()) - before).toBe(1);
  });

  it('answers a request whose deadline passed from the fallback, marked fallback', async () => {
    await putTraffic('ov', { routes: [{ version: 1, weight: 100 }], timeout_ms: 50, fallback: 2 });
    const [, queued] = await Promise.all([inject(t, 'POST', '/v1/models/ov/predict', rows(SLOW, 2)), inject(t, 'POST', '/v1/models/ov/predict', rows(0))]);
    expect(queued.statusCode).toBe(200);
    expect(queued.json()).toMatchObject({ version: 2, variant: 'fallback', fallback: true });
    expect(sample(await metrics(), 'modelgate_fallback_total{model="ov",from_version="1",to_version="2",reason="deadline"}')).toBeGreaterThanOrEqual(1);
  });

  it('gives pinned calls the default deadline', async () => {
    const [, queued] = await Promise.all([
      inject(t, 'POST', '/v1/models/ov/versions/1/predict', rows(SLOW, 2)),
      inject(t, 'POST', '/v1/models/ov/versions/1/predict', rows(0)),
    ]);
    // MODELGATE_DEFAULT_TIMEOUT_MS is 40 ms here; the slow batch ahead takes longer.
    expect(queued.json().error?.code).toBe('DEADLINE_EXCEEDED');
  });

  it('keeps the fallback reasons to a short fixed set, whatever failed and however', async () => {
    // Failures of several kinds: runs that fail, and runs late against six different timeouts.
    await putTraffic('ov', { routes: [{ version: 3, weight: 100 }], fallback: 2 });
    expect((await inject(t, 'POST', '/v1/models/ov/predict', rows(0))).json()).toMatchObject({ version: 3, fallback: false });
    for (let i = 0; i < 10; i++) expect((await inject(t, 'POST', '/v1/models/ov/predict', rows(1 + i))).json()).toMatchObject({ fallback: true });
    for (let i = 0; i < 6; i++) {
      await putTraffic('ov', { routes: [{ version: 1, weight: 100 }], fallback: 2, timeout_ms: 20 + i });
      expect((await inject(t, 'POST', '/v1/models/ov/predict', rows(SLOW / 3))).json()).toMatchObject({ fallback: true });
    }
    const series = (await metrics()).split('\n').filter((l) => l.startsWith('modelgate_fallback_total{'));
    const reasons = series.map((l) => /reason="([^"]*)"/.exec(l)![1]);
    for (const r of reasons) expect(['failed', 'late', 'circuit_open', 'not_loaded', 'overloaded', 'deadline']).toContain(r);
    expect(series.filter((l) => l.includes('from_version="3"'))).toEqual([expect.stringContaining('reason="failed"')]);
    expect(series.filter((l) => l.includes('from_version="1"') && l.includes('reason="late"'))).toHaveLength(1);
  });
});

describe('shadow traffic: sampled, and shed before live traffic', () => {
  let db: TestDatabase;
  let t: TestApp;
  const metrics = async () => (await t.http.get('/metrics').expect(200)).text;
  const shadowCount = async (outcome: string) => sample(await metrics(), `modelgate_shadow_predictions_total{model="sh",version="2",outcome="${outcome}"}`);
  const putTraffic = async (policy: unknown) => {
    const res = await t.http.put('/api/v1/models/sh/traffic').set(t.admin).send(policy as object);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_BATCH_QUEUE_ROWS: '64', MODELGATE_TELEMETRY_QUEUE_SIZE: '0' } });
    await createModel(t, 'sh');
    await uploadOk(t, 'sh', { file: fast() });
    await uploadOk(t, 'sh', { file: slowClassifier({ featureNames: FEATURES }) });
    await setAlias(t, 'sh', 'production', 1);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('copies no request to the shadow at shadow_sample 0, and about half at 0.5', async () => {
    await putTraffic({ routes: [{ version: 1, weight: 100 }], shadow: [2], shadow_sample: 0 });
    for (let i = 0; i < 50; i++) expect((await inject(t, 'POST', '/v1/models/sh/predict', rows(0))).statusCode).toBe(200);
    // One copied request after them: once its shadow ran, any copy of the fifty would have run too.
    await putTraffic({ routes: [{ version: 1, weight: 100 }], shadow: [2], shadow_sample: 1 });
    expect((await inject(t, 'POST', '/v1/models/sh/predict', rows(0))).statusCode).toBe(200);
    await eventually(async () => (await shadowCount('ok')) >= 1);
    expect(await shadowCount('ok')).toBe(1);
    expect(await shadowCount('shed')).toBe(0);
    await putTraffic({ routes: [{ version: 1, weight: 100 }], shadow: [2], shadow_sample: 0.5 });
    for (let i = 0; i < 400; i++) await inject(t, 'POST', '/v1/models/sh/predict', rows(0));
    // Binomial(400, 0.5): 200 ± 10; 140..260 is six standard deviations.
    const ok = await eventually(async () => {
      const n = (await shadowCount('ok')) - 1;
      return n >= 140 ? n : undefined;
    });
    expect(ok).toBeLessThanOrEqual(260);
  });

  it('refuses a shadow_sample outside 0..1', async () => {
    const res = await t.http.put('/api/v1/models/sh/traffic').set(t.admin).send({ routes: [{ version: 1, weight: 100 }], shadow: [2], shadow_sample: 2 });
    expect(res.status).toBe(400);
  });

  it('sheds shadow copies under load and answers every live request', async () => {
    await putTraffic({ routes: [{ version: 1, weight: 100 }], shadow: [2], shadow_sample: 1 });
    const shedBefore = sample(await metrics(), 'modelgate_requests_shed_total{model="sh",reason="shadow_queue_full"}');
    const answers = await Promise.all(Array.from({ length: 40 }, () => inject(t, 'POST', '/v1/models/sh/predict', rows(200_000))));
    for (const a of answers) expect(a.statusCode).toBe(200);
    const shed = await eventually(async () => {
      const n = sample(await metrics(), 'modelgate_requests_shed_total{model="sh",reason="shadow_queue_full"}') - shedBefore;
      return n > 0 ? n : undefined;
    });
    expect(shed).toBeGreaterThan(0);
  });
});

describe('shadow traffic at light load', () => {
  let db: TestDatabase;
  let t: TestApp;
  const metrics = async () => (await t.http.get('/metrics').expect(200)).text;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
    await createModel(t, 'light');
    await uploadOk(t, 'light', { file: fast() });
    await uploadOk(t, 'light', { file: logisticBinaryClassifier({ weights: [0.1, 0.2, 0.3], bias: 1, featureNames: FEATURES }) });
    await setAlias(t, 'light', 'production', 1);
    await t.app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('runs the shadow copy of every request of one sequential client from another process, right after a traffic change', async () => {
    await t.http.put('/api/v1/models/light/traffic').set(t.admin).send({ routes: [{ version: 1, weight: 100 }], shadow: [2] }).expect(200);
    // Another process, so its next request can arrive between an answer and
    // the shadow copy of that answer, as any real client's does; a keep-alive
    // connection makes that gap the norm.
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const client = `
      const http = require('node:http');
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      const body = JSON.stringify(${JSON.stringify(rows(0))});
      const one = () => new Promise((resolve, reject) => {
        const req = http.request({ agent, host: '127.0.0.1', port: ${port}, path: '/v1/models/light/predict', method: 'POST',
          headers: { authorization: ${JSON.stringify(t.admin.Authorization)}, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
          (res) => { res.resume(); res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error('status ' + res.statusCode)))); });
        req.on('error', reject);
        req.end(body);
      });
      (async () => { for (let i = 0; i < 200; i++) await one(); agent.destroy(); })().catch((e) => { console.error(e); process.exit(1); });
    `;
    const code = await new Promise<number | null>((resolve) => spawn(process.execPath, ['-e', client], { stdio: 'inherit' }).on('exit', resolve));
    expect(code).toBe(0);
    const series = (outcome: string) => `modelgate_shadow_predictions_total{model="light",version="2",outcome="${outcome}"}`;
    await eventually(async () => {
      const text = await metrics();
      return sample(text, series('ok')) + sample(text, series('shed')) + sample(text, series('error')) >= 200;
    });
    const text = await metrics();
    expect(sample(text, 'modelgate_requests_shed_total{model="light",reason="shadow_queue_full"}')).toBe(0);
    expect(sample(text, series('ok'))).toBe(200);
  });
});
