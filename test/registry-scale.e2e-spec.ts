import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ServingSync } from '../src/serving/serving-sync.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';
import { startS3, type TestS3 } from './support/s3.js';

const MODELS = 200;
const ROUTED = 60;
const FEATURES = ['f0', 'f1', 'f2'];
const WEIGHTS = [0.5, -0.25, 0.125];
const row = { instances: [{ f0: 1, f1: 2, f2: 3 }] };
const name = (i: number) => `scale-${String(i).padStart(4, '0')}`;
/** Model i's version v has bias i/100 + v: every version of every model answers a different score. */
const bias = (i: number, v: number) => i / 100 + v;
const expectedScore = (i: number, v: number) => 1 / (1 + Math.exp(-(0.5 * 1 - 0.25 * 2 + 0.125 * 3 + bias(i, v))));
/** Routed models have 1-3 versions; production points at the last. */
const versionsOf = (i: number) => (i % 3) + 1;

async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<unknown>) {
  const queue = [...items];
  await Promise.all(Array.from({ length: width }, async () => {
    while (queue.length) await fn(queue.shift()!);
  }));
}

describe(`a registry of ${MODELS} models, ${ROUTED} of them routed, on two replicas`, () => {
  let db: TestDatabase;
  let s3: TestS3;
  let a: TestApp;
  let b: TestApp;
  let readyMs = 0;
  // The default bound of 16 loaded versions stays: routed versions are never evicted, so all
  // 60 must load past it. A long reconcile period: only NOTIFY can bring a promotion to the
  // other replica within a second. The set-up makes ~380 registry writes from one key, past
  // the default write budget (burst 200), so that limit is off here (it has its own tests).
  const env = { MODELGATE_RECONCILE_MS: '600000', MODELGATE_RATE_LIMIT_WRITE_PER_S: '0' };

  beforeAll(async () => {
    db = await createTestDatabase();
    s3 = await startS3();
    a = await startTestApp({ db, s3, env });
    await inParallel(Array.from({ length: MODELS }, (_, i) => i), 8, (i) => createModel(a, name(i), 'binary_classification', { tags: { suite: 'scale' } }));
    const uploads = Array.from({ length: ROUTED }, (_, i) => Array.from({ length: versionsOf(i) }, (_, k) => [i, k + 1] as const)).flat();
    // Versions of one model upload in order (their numbers must match bias()); models in parallel.
    await inParallel(Array.from({ length: ROUTED }, (_, i) => i), 4, async (i) => {
      for (const [, v] of uploads.filter(([m]) => m === i)) {
        const up = await uploadOk(a, name(i), { file: logisticBinaryClassifier({ weights: WEIGHTS, bias: bias(i, v), featureNames: FEATURES }) });
        expect(up.version).toBe(v);
      }
      await setAlias(a, name(i), 'production', versionsOf(i));
    });
    const started = Date.now();
    b = await startTestApp({ db, s3, env, waitReady: false });
    await eventually(async () => (await b.http.get('/health/ready')).status === 200, 300_000, 100);
    readyMs = Date.now() - started;
  }, 600_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await s3?.stop();
    await db?.drop();
  });

  it('starts a second replica ready with every routed version, and each answers its first prediction right', async () => {
    console.log(`scale: replica ready with ${ROUTED} routed models (${Array.from({ length: ROUTED }, (_, i) => versionsOf(i)).reduce((x, y) => x + y)} versions stored) in ${readyMs} ms`);
    for (let i = 0; i < ROUTED; i++) {
      const res = await inject(b, 'POST', `/v1/models/${name(i)}/predict`, row);
      expect(res.statusCode, `${name(i)}: ${res.body}`).toBe(200);
      const body = res.json();
      expect(body.version).toBe(versionsOf(i));
      expect(Math.abs(body.predictions[0].score - expectedScore(i, versionsOf(i)))).toBeLessThan(1e-5);
    }
    const unrouted = await inject(b, 'POST', `/v1/models/${name(ROUTED)}/predict`, row);
    expect(unrouted.statusCode).toBe(404);
  });

  it('brings a promotion made on one replica to the other in under a second', async () => {
    const i = 2; // three versions, production on 3
    await setAlias(a, name(i), 'production', 1);
    const started = Date.now();
    await eventually(async () => (await inject(b, 'POST', `/v1/models/${name(i)}/predict`, row)).json().version === 1, 1_000, 10);
    expect(Date.now() - started).toBeLessThan(1_000);
    const body = (await inject(b, 'POST', `/v1/models/${name(i)}/predict`, row)).json();
    expect(Math.abs(body.predictions[0].score - expectedScore(i, 1))).toBeLessThan(1e-5);
  });

  it('pages through every model and every version', async () => {
    const names: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { models: { name: string }[]; next_cursor: string | null } } = await b.http
        .get(`/api/v1/models?tag=suite:scale&limit=37${cursor ? `&cursor=${cursor}` : ''}`)
        .set(b.admin)
        .expect(200);
      names.push(...res.body.models.map((m) => m.name));
      cursor = res.body.next_cursor;
    } while (cursor);
    expect(names).toEqual(Array.from({ length: MODELS }, (_, i) => name(i)));
    const versions = await b.http.get(`/api/v1/models/${name(2)}/versions?limit=2`).set(b.admin).expect(200);
    expect(versions.body.versions.map((v: { version: number }) => v.version)).toEqual([3, 2]);
    const rest = await b.http.get(`/api/v1/models/${name(2)}/versions?limit=2&cursor=${versions.body.next_cursor}`).set(b.admin).expect(200);
    expect(rest.body.versions.map((v: { version: number }) => v.version)).toEqual([1]);
    expect(rest.body.next_cursor).toBeNull();
  });

  it('reconciles every model with nothing changed quickly', async () => {
    const sync = b.app.get(ServingSync);
    const started = performance.now();
    await sync.reconcile();
    const ms = performance.now() - started;
    console.log(`scale: a reconcile of ${MODELS} models took ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(5_000);
  });
});
