import http from 'node:http';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/common/net.js';
import { LEADER_LOCK_KEY } from '../src/database/leader-election.js';
import { ADMIN_TOKEN, eventually, type TestApp } from './support/app.js';
import { type AppProcess, spawnApp } from './support/app-process.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';

const FEATURES = ['f0', 'f1', 'f2'];
const model = (bias: number) => logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias, featureNames: FEATURES });
const BODY = JSON.stringify({ instances: [{ f0: 1, f1: 2, f2: 3 }] });

interface Answer {
  status: number;
  worker: string;
  version?: number;
}

/**
 * One prediction on a connection of its own: node:cluster hands each new
 * connection to the next worker, so successive calls reach every worker.
 */
function predict(app: AppProcess): Promise<Answer> {
  const url = new URL(`${app.url}/v1/models/w/predict`);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: url.hostname, port: url.port, path: url.pathname, method: 'POST', agent: false, headers: { ...app.admin, 'content-type': 'application/json', 'content-length': Buffer.byteLength(BODY) } },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => {
          const body = text ? JSON.parse(text) : {};
          resolve({ status: res.statusCode ?? 0, worker: String(res.headers['x-modelgate-worker']), version: body.version });
        });
      },
    );
    req.on('error', reject);
    req.end(BODY);
  });
}

/** One ModelInfer on a channel of its own (a new HTTP/2 connection, so the cluster hands it to the next worker). */
function grpcInfer(port: number): Promise<any> {
  const def = protoLoader.loadSync(path.join(import.meta.dirname, '..', 'proto', 'grpc_predict_v2.proto'), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
  const pkg = grpc.loadPackageDefinition(def) as any;
  const client = new pkg.inference.GRPCInferenceService(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${ADMIN_TOKEN}`);
  const request = { model_name: 'w', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }] };
  return new Promise((resolve, reject) =>
    client.ModelInfer(request, md, (err: Error | null, res: unknown) => {
      client.close();
      if (err) reject(err);
      else resolve(res);
    }),
  );
}

function sample(text: string, series: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(series))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

describe('MODELGATE_WORKERS=2: two serving processes behind one port', () => {
  let db: TestDatabase;
  let app: AppProcess;
  let grpcPort: number;
  const t = () => app as unknown as TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    grpcPort = await freePort();
    app = await spawnApp('workers', { DATABASE_URL: db.url, MODELGATE_WORKERS: '2', GRPC_PORT: String(grpcPort), LOG_LEVEL: 'warn', MODELGATE_LEADER_POLL_MS: '200' });
    await createModel(t(), 'w');
    await uploadOk(t(), 'w', { file: model(0) });
    await setAlias(t(), 'w', 'production', 1);
    // Both workers have loaded the version (each keeps its own sessions).
    await eventually(async () => {
      const answers = await Promise.all(Array.from({ length: 4 }, () => predict(app)));
      return answers.every((a) => a.status === 200) && new Set(answers.map((a) => a.worker)).size === 2;
    }, 60_000, 100);
  });
  afterAll(async () => {
    await app?.stop();
    await db?.drop();
  });

  it('answers predictions from both workers, and /metrics counts the requests of both', async () => {
    const before = sample(await (await fetch(`${app.url}/metrics`)).text(), 'modelgate_prediction_requests_total{model="w"');
    const answers: Answer[] = [];
    for (let i = 0; i < 20; i++) answers.push(await predict(app));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const workers = new Set(answers.map((a) => a.worker));
    expect(workers.size).toBe(2);
    expect([...workers].every((w) => /^\d+$/.test(w) && w !== String(app.proc.pid))).toBe(true);
    // Whichever worker the scrape reaches answers for both.
    for (let i = 0; i < 2; i++) {
      const after = sample(await (await fetch(`${app.url}/metrics`, { headers: { connection: 'close' } })).text(), 'modelgate_prediction_requests_total{model="w"');
      expect(after - before).toBe(20);
    }
  });

  it('serves gRPC ModelInfer on one port shared by the workers', async () => {
    const scrape = async () => sample(await (await fetch(`${app.url}/metrics`)).text(), 'modelgate_prediction_requests_total{model="w"');
    const before = await scrape();
    for (let i = 0; i < 6; i++) expect((await grpcInfer(grpcPort)).model_name).toBe('w');
    expect((await scrape()) - before).toBe(6);
  });

  it('carries a promotion to both workers within a second', async () => {
    await uploadOk(t(), 'w', { file: model(1) });
    await setAlias(t(), 'w', 'production', 2);
    const moved = performance.now();
    const seen = new Set<string>();
    await eventually(async () => {
      const a = await predict(app);
      if (a.status === 200 && a.version === 2) seen.add(a.worker);
      return seen.size === 2;
    }, 5_000, 5);
    expect(performance.now() - moved).toBeLessThan(1_000);
  });

  it('holds the leader lock in exactly one process while both workers stand for election', async () => {
    const sessions = () =>
      withClient(db.url, async (c) => {
        const r = await c.query<{ pid: number; leads: boolean }>(
          `SELECT a.pid, EXISTS (SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'advisory' AND l.objid = $1 AND l.granted
                                  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS leads
             FROM pg_stat_activity a WHERE a.datname = current_database() AND a.application_name = 'modelgate-leader-election'`,
          [LEADER_LOCK_KEY],
        );
        return r.rows;
      });
    const rows = await eventually(async () => {
      const r = await sessions();
      return r.length === 2 ? r : null;
    });
    expect((rows ?? []).filter((r) => r.leads)).toHaveLength(1);
  });

  it('drains every worker on SIGTERM and exits 0', async () => {
    const answers = await Promise.all(Array.from({ length: 6 }, () => predict(app)));
    const workers = [...new Set(answers.map((a) => a.worker))].map(Number);
    expect(workers).toHaveLength(2);
    // Requests in flight when the signal lands get an answer (a closing server may say 503), not a cut connection.
    const inFlight = Promise.all(Array.from({ length: 10 }, () => predict(app).catch(() => null)));
    await new Promise((r) => setTimeout(r, 5));
    await app.stop();
    expect(app.proc.exitCode).toBe(0);
    for (const a of await inFlight) if (a) expect([200, 503]).toContain(a.status);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });
});
