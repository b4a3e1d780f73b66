import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.factory.js';
import { createLogger } from '../src/common/logger.js';
import { ConfigError, loadConfig } from '../src/config/config.schema.js';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../src/database/embedded-postgres.runner.js';
import { ADMIN_TOKEN, eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, listObjects, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';
import { startS3, type TestS3 } from './support/s3.js';
import { ensureBuilt } from './support/app-process.js';
import { startProcess } from './support/process.js';

const FEATURES = ['f0', 'f1', 'f2'];
const model = (bias: number) => logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias, featureNames: FEATURES });
const row = { instances: [{ f0: 1, f2: 3, f1: 2 }] };

describe('a database outage under traffic', () => {
  let dir: string;
  let pg: EmbeddedPostgresHandle;
  let t: TestApp;
  const lines: string[] = [];

  beforeAll(async () => {
    // Its own server: the test stops it, never the one other suites share.
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-outages-'));
    await fs.chmod(dir, 0o755);
    pg = await startEmbeddedPostgres(path.join(dir, 'pg'), 'modelgate');
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(line) });
    // A short key cache: keys go stale within the outage, as they do within minutes in production.
    t = await startTestApp({ db: { url: pg.url, name: 'modelgate', drop: async () => {} }, logger, env: { MODELGATE_KEY_CACHE_TTL_MS: '200' } });
    await createModel(t, 'steady');
    await uploadOk(t, 'steady', { file: model(0) });
    await setAlias(t, 'steady', 'production', 1);
  });
  afterAll(async () => {
    await t?.close();
    await pg?.stop();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('serves a known API key from its cache with a rate-limited warning, not one line per prediction', async () => {
    const created = await t.http.post('/api/v1/keys').set(t.admin).send({ name: 'client', scopes: ['predict'] }).expect(201);
    const auth = { authorization: `Bearer ${created.body.key}` };
    expect((await inject(t, 'POST', '/v1/models/steady/predict', row, auth)).statusCode).toBe(200);
    await pg.stop();
    const started = Date.now();
    let answered = 0;
    // Two seconds of predictions with that key, the cache long past its TTL.
    while (Date.now() - started < 2_000) {
      expect((await inject(t, 'POST', '/v1/models/steady/predict', row, auth)).statusCode).toBe(200);
      answered++;
    }
    expect(answered).toBeGreaterThan(100);
    const stale = lines.filter((l) => l.includes('cannot reload API key'));
    expect(stale.length).toBeGreaterThanOrEqual(1);
    expect(stale.length).toBeLessThanOrEqual(1);
    pg = await startEmbeddedPostgres(path.join(dir, 'pg'), 'modelgate', () => {}, { port: pg.port });
    await eventually(async () => (await t.http.get('/health/ready')).body?.details?.database?.status === 'up', 30_000, 200);
  });
});

describe('which of two replicas leads the elected jobs', () => {
  let db: TestDatabase;
  let replicas: TestApp[] = [];
  const leaderGauge = async (t: TestApp) => {
    const line = (await t.http.get('/metrics').expect(200)).text.split('\n').find((l) => l.startsWith('modelgate_leader '));
    return line === undefined ? undefined : Number(line.slice('modelgate_leader '.length));
  };
  const readinessSays = async (t: TestApp) => (await t.http.get('/health/ready').expect(200)).body.details.leader_election;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { MODELGATE_LEADER_POLL_MS: '100' };
    replicas = await Promise.all([startTestApp({ db, env }), startTestApp({ db, env })]);
  });
  afterAll(async () => {
    await Promise.all(replicas.map((t) => t.close()));
    await db?.drop();
  });

  it('exports modelgate_leader 1 on the leader and 0 on the other, says so in readiness, and moves both when the leader stops', async () => {
    const gauges = (await eventually(async () => {
      const g = await Promise.all(replicas.map(leaderGauge));
      return g.filter((v) => v === 1).length === 1 ? g : undefined;
    }))!;
    expect([...gauges].sort()).toEqual([0, 1]);
    const leader = replicas[gauges.indexOf(1)];
    const follower = replicas[gauges.indexOf(0)];
    expect(await readinessSays(leader)).toEqual({ status: 'up', leader: true });
    expect(await readinessSays(follower)).toEqual({ status: 'up', leader: false });
    await leader.close();
    await eventually(async () => (await leaderGauge(follower)) === 1);
    expect(await readinessSays(follower)).toEqual({ status: 'up', leader: true });
  });
});

/** Predictions back to back from four loops until `stop()`; every answer's status and version is kept. */
function traffic(t: TestApp, url: string) {
  const answers: { status: number; version?: number; code?: string }[] = [];
  let running = true;
  const loops = Array.from({ length: 4 }, async () => {
    while (running) {
      const res = await inject(t, 'POST', url, row);
      const body = res.json();
      answers.push({ status: res.statusCode, version: body.version, code: body.error?.code });
    }
  });
  return {
    answers,
    async stop() {
      running = false;
      await Promise.all(loops);
      return answers;
    },
  };
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('the artifact store stopped while serving revisions change', () => {
  let db: TestDatabase;
  let s3: TestS3;
  let t: TestApp;
  const metrics = async () => (await t.http.get('/metrics').expect(200)).text;
  const revision = async (model: string) => (await t.http.get(`/api/v1/models/${model}/history?limit=1`).set(t.admin).expect(200)).body.revisions[0].revision as number;

  beforeAll(async () => {
    db = await createTestDatabase();
    s3 = await startS3();
    // A short reconcile: retries of a pending revision back off up to it.
    t = await startTestApp({ db, s3, env: { MODELGATE_RECONCILE_MS: '1000' } });
    await createModel(t, 'steady');
    await uploadOk(t, 'steady', { file: model(0) });
    await uploadOk(t, 'steady', { file: model(1) });
    await setAlias(t, 'steady', 'production', 1);
    await createModel(t, 'fresh');
    await uploadOk(t, 'fresh', { file: model(2) });
  });
  afterAll(async () => {
    await t?.close();
    await s3?.stop();
    await db?.drop();
  });

  it('keeps serving the revision before a promotion whose version cannot load, reports it pending, and applies it once the store is back', async () => {
    const load = traffic(t, '/v1/models/steady/predict');
    await eventually(() => load.answers.length > 20);
    const applied = await revision('steady');
    await s3.stop();
    await setAlias(t, 'steady', 'production', 2);
    const pending = await revision('steady');
    expect(pending).toBe(applied + 1);

    const seen = load.answers.length;
    await eventually(() => load.answers.length > seen + 200, 20_000);
    expect(load.answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(new Set(load.answers.map((a) => a.version))).toEqual(new Set([1]));

    const ready = await t.http.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('degraded');
    const models = ready.body.details.models;
    expect(models.status).toBe('degraded');
    expect(models.pending).toEqual([
      expect.objectContaining({ model: 'steady', revision: pending, applied_revision: applied, waiting_for: [2], attempts: expect.any(Number), last_error: expect.any(String) }),
    ]);
    const during = await metrics();
    expect(sample(during, 'modelgate_serving_revision{model="steady",state="applied"}')).toBe(applied);
    expect(sample(during, 'modelgate_serving_revision{model="steady",state="pending"}')).toBe(pending);

    await s3.restart();
    await eventually(() => load.answers.at(-1)?.version === 2, 20_000);
    const answers = await load.stop();
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const after = await metrics();
    expect(sample(after, 'modelgate_serving_revision{model="steady",state="applied"}')).toBe(pending);
    expect(sample(after, 'modelgate_serving_revision{model="steady",state="pending"}')).toBeUndefined();
    await eventually(async () => (await t.http.get('/health/ready')).body.details?.models?.status === 'up', 10_000);
  });

  it('answers /health/ready 503 while a routed model has nothing loaded to serve it, and 200 once it has', async () => {
    await eventually(async () => (await t.http.get('/health/ready')).body.details?.models?.status === 'up', 10_000);
    await s3.stop();
    // A first production version for a model this replica serves nothing of yet: nothing to keep serving.
    await setAlias(t, 'fresh', 'production', 1);
    const res = await t.http.get('/health/ready');
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('NOT_READY');
    expect(res.body.error.details.failing).toEqual(['models']);
    expect(res.body.error.details.checks.models.serving_nothing).toEqual(['fresh']);
    expect(res.body.error.message).toMatch(/nothing loaded to serve fresh/);
    // The model that has a loaded version goes on answering.
    expect((await inject(t, 'POST', '/v1/models/steady/predict', row)).statusCode).toBe(200);
    await s3.restart();
    await eventually(async () => (await t.http.get('/health/ready')).status === 200, 20_000, 100);
    expect((await inject(t, 'POST', '/v1/models/fresh/predict', row)).json().version).toBe(1);
  });
});

describe('two replicas, one of which has the promoted version loaded, while the artifact store is down', () => {
  let db: TestDatabase;
  let s3: TestS3;
  let a: TestApp;
  let b: TestApp;
  const predict = async (t: TestApp) => {
    const res = await inject(t, 'POST', '/v1/models/split/predict', row);
    return { status: res.statusCode, version: res.json().version as number | undefined };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    s3 = await startS3();
    const env = { MODELGATE_RECONCILE_MS: '1000' };
    [a, b] = await Promise.all([startTestApp({ db, s3, env }), startTestApp({ db, s3, env })]);
    await createModel(a, 'split');
    for (const bias of [0, 1]) await uploadOk(a, 'split', { file: model(bias) });
    await setAlias(a, 'split', 'production', 1);
    await eventually(async () => (await predict(b)).version === 1);
    // Version 2 loaded on replica a only, by a pinned call.
    await eventually(async () => (await inject(a, 'POST', '/v1/models/split/versions/2/predict', row)).statusCode === 200);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await s3?.stop();
    await db?.drop();
  });

  it('applies the promotion where its version is loaded, keeps the revision before where it is not, and catches up when the store is back', async () => {
    await s3.stop();
    await setAlias(b, 'split', 'production', 2);
    await eventually(async () => (await predict(a)).version === 2, 5_000);
    for (let i = 0; i < 50; i++) expect(await predict(b)).toEqual({ status: 200, version: 1 });
    const readyB = await b.http.get('/health/ready').expect(200);
    expect(readyB.body.details.models.pending).toEqual([expect.objectContaining({ model: 'split', waiting_for: [2] })]);
    const readyA = await a.http.get('/health/ready').expect(200);
    expect(readyA.body.details.models.pending).toBeUndefined();
    await s3.restart();
    await eventually(async () => (await predict(b)).version === 2, 20_000, 100);
  });
});

describe('S3_BUCKET naming a bucket that does not exist', () => {
  let db: TestDatabase;
  let s3: TestS3;

  beforeAll(async () => {
    db = await createTestDatabase();
    s3 = await startS3();
  });
  afterAll(async () => {
    await s3?.stop();
    await db?.drop();
  });

  it('stops the start with a message naming the bucket, the endpoint and S3_CREATE_BUCKET', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-bucket-'));
    const config = loadConfig({
      DATABASE_URL: db.url,
      MODELGATE_ADMIN_TOKEN: ADMIN_TOKEN,
      MODELGATE_DATA_DIR: dataDir,
      GRPC_PORT: '0',
      S3_BUCKET: 'no-such-bucket',
      S3_ENDPOINT: s3.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
    });
    const err = await createApp(config, { logger: createLogger('silent') }).catch((e: unknown) => e as Error);
    await fs.rm(dataDir, { recursive: true, force: true });
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('bucket "no-such-bucket" does not exist at ' + s3.endpoint);
    expect((err as Error).message).toContain('S3_CREATE_BUCKET=true');
  });

  it('exits the built service with code 78 and says why on stderr', async () => {
    ensureBuilt();
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-bucket-'));
    const p = startProcess(process.execPath, ['dist/main.js'], {
      cwd: path.resolve(import.meta.dirname, '..'),
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        MODELGATE_ADMIN_TOKEN: ADMIN_TOKEN,
        MODELGATE_DATA_DIR: dataDir,
        PORT: '0',
        GRPC_PORT: '0',
        HOST: '127.0.0.1',
        S3_BUCKET: 'no-such-bucket',
        S3_ENDPOINT: s3.endpoint,
        S3_FORCE_PATH_STYLE: 'true',
      },
    });
    try {
      await eventually(() => p.child.exitCode !== null, 60_000, 100);
      expect(p.child.exitCode, p.output()).toBe(78);
      await eventually(() => p.output().includes('modelgate: Invalid configuration'), 5_000);
      expect(p.output()).toContain(`modelgate: Invalid configuration:\n  S3_BUCKET: bucket "no-such-bucket" does not exist at ${s3.endpoint}`);
    } finally {
      await p.stop('SIGKILL');
      await fs.rm(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('creates the bucket at start with S3_CREATE_BUCKET=true, and stores uploads in it', async () => {
    const t = await startTestApp({ db, s3: { ...s3, bucket: 'made-at-start' }, env: { S3_CREATE_BUCKET: 'true' } });
    try {
      await createModel(t, 'bucketed');
      await uploadOk(t, 'bucketed', { file: model(0) });
      expect((await listObjects({ ...s3, bucket: 'made-at-start' })).filter((k) => k.endsWith('.onnx'))).toHaveLength(1);
    } finally {
      await t.close();
    }
  });
});
