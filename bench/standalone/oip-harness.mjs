// Shared by bench/standalone/v2-binary.mjs and grpc.mjs: start the built
// server (dist/main.js) with the fixture model, run a closed Node load loop
// against two request kinds in interleaved rounds, print a table and write
// the JSON under bench/results/. Every child is stopped on exit.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MODEL = 'bc';
const env = process.env;
const QUICK = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
const num = (name, dflt) => (env[name] === undefined || env[name] === '' ? dflt : Number(env[name]));
export const S = {
  quick: QUICK,
  durationS: num('BENCH_DURATION_S', QUICK ? 2 : 10),
  warmupS: num('BENCH_WARMUP_S', QUICK ? 0.5 : 2),
  connections: num('BENCH_CONNECTIONS', 16),
  rounds: Math.max(1, Math.floor(num('BENCH_ROUNDS', QUICK ? 1 : 3))),
  startTimeoutS: num('BENCH_START_TIMEOUT_S', 90),
};
export const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

const children = [];
let dataDir;
let dropDatabase;
function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  if (dataDir && env.BENCH_KEEP !== '1') fs.rmSync(dataDir, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

/** Stops the server and drops the database it was given; call before exiting. */
export async function stopModelgate() {
  await Promise.all(children.filter((c) => c.exitCode === null).map((c) => new Promise((r) => { c.once('exit', r); c.kill('SIGTERM'); })));
  if (dropDatabase) await dropDatabase();
}

/**
 * With BENCH_DATABASE_URL (a PostgreSQL server), a fresh database of our own
 * on it, dropped at the end: the server's own databases are never touched.
 */
async function freshDatabase(url) {
  const { default: pg } = await import('pg');
  const name = `mg_bench_oip_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  dropDatabase = async () => {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).finally(() => c.end());
  };
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

/** One HTTP request on a keep-alive agent: status, headers and body bytes. */
export function request(base, method, urlPath, { headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(new URL(urlPath, base), { method, agent, headers: { ...headers, ...(body ? { 'content-length': body.length } : {}) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function until(what, fn, child) {
  const deadline = Date.now() + S.startTimeoutS * 1000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`modelgate exited (${child.exitCode}) while waiting for ${what}`);
    try {
      if (await fn()) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts dist/main.js on free ports with the fixture model behind `production`. */
export async function startModelgate() {
  const main = path.join(ROOT, 'dist/main.js');
  if (!fs.existsSync(main)) throw new Error(`${main} is missing: run "npm run build" first`);
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-bench-oip-'));
  // As root, the embedded PostgreSQL runs as the `postgres` user, which must reach the cluster.
  fs.chmodSync(dataDir, 0o755);
  const port = await freePort();
  const grpcPort = await freePort();
  const token = 'mgk_benchadmin_0123456789abcdefghijklmnopqrstuv';
  const childEnv = { ...env, PORT: String(port), HOST: '127.0.0.1', GRPC_PORT: String(grpcPort), LOG_LEVEL: 'warn', MODELGATE_DATA_DIR: dataDir, ONNXRUNTIME_NODE_INSTALL: 'skip' };
  if (env.BENCH_DATABASE_URL) Object.assign(childEnv, { DATABASE_URL: await freshDatabase(env.BENCH_DATABASE_URL), MODELGATE_ADMIN_TOKEN: token });
  else delete childEnv.DATABASE_URL;
  const logFile = path.join(dataDir, 'modelgate.log');
  const out = fs.openSync(logFile, 'a');
  // BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the server under load.
  const nodeArgs = (env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, main], { cwd: ROOT, env: childEnv, stdio: ['ignore', out, out] });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  await until('GET /health/live', async () => (await request(base, 'GET', '/health/live')).status === 200, child);
  const key = childEnv.MODELGATE_ADMIN_TOKEN ?? (await (async () => {
    const f = path.join(dataDir, 'admin.key');
    await until('admin.key', () => fs.existsSync(f), child);
    return fs.readFileSync(f, 'utf8').trim();
  })());
  const auth = { authorization: `Bearer ${key}` };
  const json = (o) => ({ headers: { ...auth, 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify(o)) });
  let r = await request(base, 'POST', '/api/v1/models', json({ name: MODEL, task: 'binary_classification' }));
  if (r.status !== 201 && r.status !== 409) throw new Error(`create model: ${r.status} ${r.body}`);
  const form = new FormData();
  form.append('file', new Blob([fs.readFileSync(path.join(ROOT, 'test/fixtures/breast_cancer_xgb.onnx'))]), 'model.onnx');
  const up = await fetch(`${base}/api/v1/models/${MODEL}/versions`, { method: 'POST', headers: auth, body: form });
  if (up.status !== 201) throw new Error(`upload: ${up.status} ${await up.text()}`);
  const { version } = await up.json();
  r = await request(base, 'PUT', `/api/v1/models/${MODEL}/aliases/production`, json({ version }));
  if (r.status !== 200) throw new Error(`alias: ${r.status} ${r.body}`);
  await until(`GET /v2/models/${MODEL}/ready`, async () => (await request(base, 'GET', `/v2/models/${MODEL}/ready`, { headers: auth })).status === 200, child);
  return { base, grpcPort, auth, key, logFile };
}

/** The fixture's first row and the probability its expected.json gives it. */
export function firstRow() {
  const lines = fs.readFileSync(path.join(ROOT, 'test/fixtures/breast_cancer_xgb.test.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const cells = lines[1].split(',');
  const row = header.map((h, i) => [h, Number(cells[i])]).filter(([h]) => h !== 'label').map(([, v]) => v);
  const expected = JSON.parse(fs.readFileSync(path.join(ROOT, 'test/fixtures/breast_cancer_xgb.expected.json'), 'utf8'));
  return { row, p1: expected.p1[0] };
}

/** A closed loop: `connections` callers each sending one request after another for `seconds`. */
export async function loop(send, seconds) {
  const latencies = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const t = performance.now();
      try {
        await send();
        latencies.push(performance.now() - t);
      } catch {
        errors++;
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: S.connections }, worker));
  const wall = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return { requests: latencies.length, errors, rps: latencies.length / wall, p50_ms: q(0.5), p99_ms: q(0.99) };
}

/** Two runs of one kind as one: throughput averaged, errors summed, percentiles of the pair averaged. */
function mergeRuns(x, y) {
  return { requests: x.requests + y.requests, errors: x.errors + y.errors, rps: (x.rps + y.rps) / 2, p50_ms: (x.p50_ms + y.p50_ms) / 2, p99_ms: (x.p99_ms + y.p99_ms) / 2 };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Interleaved rounds of two request kinds (A B B A every round, plus any
 * `extra` kinds measured for information); the bar, if any, compares the
 * medians of B's and A's throughput (without one, B ÷ A is information).
 */
export async function compare({ scenario, a, b, bar, describe, extra = [] }) {
  const kinds = [a, b, ...extra];
  for (const k of kinds) await loop(k.send, S.warmupS);
  const rounds = [];
  for (let i = 0; i < S.rounds; i++) {
    // Every kind twice, in order and then reversed, half a run each: a machine
    // whose speed drifts during the round favours no kind.
    const runs = {};
    for (const k of [...kinds, ...[...kinds].reverse()]) (runs[k.label] ??= []).push(await loop(k.send, S.durationS / 2));
    const round = Object.fromEntries(Object.entries(runs).map(([label, [x, y]]) => [label, mergeRuns(x, y)]));
    rounds.push(round);
    log(`round ${i + 1}: ${kinds.map((k) => `${k.label} ${round[k.label].rps.toFixed(0)} req/s`).join(', ')}`);
  }
  const rpsA = median(rounds.map((r) => r[a.label].rps));
  const rpsB = median(rounds.map((r) => r[b.label].rps));
  const ratio = rpsB / rpsA;
  const passed = bar === undefined || ratio >= bar;
  const rows = kinds.map((k) => {
    const rs = rounds.map((r) => r[k.label]);
    return { kind: k.label, rps: median(rs.map((r) => r.rps)), p50_ms: median(rs.map((r) => r.p50_ms)), p99_ms: median(rs.map((r) => r.p99_ms)), errors: rs.reduce((s, r) => s + r.errors, 0), ratio_to_a: median(rs.map((r) => r.rps)) / rpsA };
  });
  console.log(`\n${scenario}: ${describe}`);
  console.log(`| kind | req/s | p50 ms | p99 ms | errors | ÷ ${a.label} |\n|---|---|---|---|---|---|`);
  for (const r of rows) console.log(`| ${r.kind} | ${r.rps.toFixed(0)} | ${r.p50_ms.toFixed(2)} | ${r.p99_ms.toFixed(2)} | ${r.errors} | ${r.ratio_to_a.toFixed(3)} |`);
  for (const k of extra) if (k.note) console.log(`${k.label}: ${k.note}`);
  const verdict = bar === undefined ? '(information, no bar)' : `(bar >= ${bar}): ${passed ? 'PASS' : 'FAIL'}`;
  console.log(`\n${b.label} / ${a.label} = ${ratio.toFixed(3)} ${verdict}${S.quick ? ' (quick run: not a measurement)' : ''}`);
  const results = path.join(ROOT, 'bench', 'results');
  fs.mkdirSync(results, { recursive: true });
  const file = path.join(results, `${scenario}-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const doc = { kind: `modelgate-bench-${scenario}`, settings: S, machine: { cpus: os.cpus().length, cpu_model: os.cpus()[0]?.model ?? null, node: process.version }, rows, rounds, ratio, bar: bar ?? null, passed, notes: Object.fromEntries(extra.filter((k) => k.note).map((k) => [k.label, k.note])) };
  fs.writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  log(`wrote ${path.relative(ROOT, file)}`);
  return doc;
}
