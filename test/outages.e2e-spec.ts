import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from '../src/database/embedded-postgres.runner.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';

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
    const gauges = await eventually(async () => {
      const g = await Promise.all(replicas.map(leaderGauge));
      return g.filter((v) => v === 1).length === 1 ? g : undefined;
    });
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
