// `npm run bench:fuzz`: 100,000 hostile requests over every route of the built
// service (dist/main.js), judged by the same rules as the short run in
// `npm test` (test/support/fuzz-cases.mjs): the envelope with a stable code,
// no 5xx but an honest 503, no hang, the service alive, and nothing stored
// changed by a refused request. Prints a table; writes JSON to bench/results/.
//
// FUZZ_REQUESTS (100000), FUZZ_SEED, FUZZ_CONCURRENCY (8),
// FUZZ_DATABASE_URL (a PostgreSQL server on which a fresh database is
// created and dropped; default: TEST_DATABASE_URL or the local server).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import pg from 'pg';
import { changedTables, judge, requestArbitrary, send, snapshot } from '../test/support/fuzz-cases.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const RESULTS = path.join(ROOT, 'bench', 'results');
const MODEL_FILE = path.join(ROOT, 'test/fixtures/breast_cancer_xgb.onnx');
const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 8);
const SERVER_URL = process.env.FUZZ_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const BATCH = 500;
const ADMIN_TOKEN = `mgk_fuzzadmin_${randomBytes(24).toString('hex')}`;

async function withClient(url, fn) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

async function freePort() {
  const net = await import('node:net');
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function until(what, fn, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await fn()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const dbName = `mg_fuzz_${randomBytes(5).toString('hex')}`;
const dbUrl = (() => {
  const u = new URL(SERVER_URL);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-fuzz-'));
let child;

async function cleanup() {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  await withClient(SERVER_URL, (c) => c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)).catch(() => undefined);
  fs.rmSync(dataDir, { recursive: true, force: true });
}
process.on('SIGINT', () => void cleanup().then(() => process.exit(130)));

async function main() {
  if (!fs.existsSync(path.join(ROOT, 'dist/main.js'))) throw new Error('dist/main.js is missing: run `npm run build` first');
  await withClient(SERVER_URL, (c) => c.query(`CREATE DATABASE ${dbName}`));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let stderr = '';
  child = spawn(process.execPath, [path.join(ROOT, 'dist/main.js')], {
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: dbUrl,
      MODELGATE_ADMIN_TOKEN: ADMIN_TOKEN,
      MODELGATE_DATA_DIR: dataDir,
      LOG_LEVEL: 'error',
      // One client address sending a fifth of its requests with bad keys would
      // soon be refused everything (429): the limits have their own tests.
      MODELGATE_RATE_LIMIT_AUTH_FAILURES_PER_S: '0',
      MODELGATE_RATE_LIMIT_WRITE_PER_S: '0',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  await until('the service ready', async () => (await fetch(`${base}/health/ready`)).status === 200);

  const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };
  /** A model with the fixture as version 1 behind `production`. */
  const setUpModel = async (name) => {
    await fetch(`${base}/api/v1/models`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name, task: 'binary_classification' }) });
    const form = new FormData();
    form.append('file', new Blob([fs.readFileSync(MODEL_FILE)]), 'model.onnx');
    const up = await fetch(`${base}/api/v1/models/${name}/versions`, { method: 'POST', headers: auth, body: form });
    if (up.status !== 201) throw new Error(`upload of ${name} failed: ${up.status} ${await up.text()}`);
    await fetch(`${base}/api/v1/models/${name}/aliases/production`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: '{"version":1}' });
  };
  await setUpModel('credit');

  // Every documented route; the route-walking auth test keeps the document complete.
  const doc = await (await fetch(`${base}/docs-json`)).json();
  const routes = [];
  for (const [p, ops] of Object.entries(doc.paths)) {
    for (const m of Object.keys(ops)) routes.push({ method: m.toUpperCase(), url: p.replace(/\{([A-Za-z_]+)\}/g, ':$1') });
  }
  routes.push({ method: 'GET', url: '/metrics' }, { method: 'GET', url: '/docs' }, { method: 'GET', url: '/no/such/route' });

  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  const arb = requestArbitrary(routes, { adminToken: ADMIN_TOKEN });
  const byRoute = new Map();
  const problems = [];
  const stateViolations = [];
  const latencies = [];
  let sent = 0;
  let state = await snapshot(db);
  const started = Date.now();
  for (let b = 0; sent < REQUESTS; b++) {
    const batch = fc.sample(arb, { numRuns: Math.min(BATCH, REQUESTS - sent), seed: SEED + b });
    let wrote = false;
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < batch.length) {
          const req = batch[next++];
          const t0 = performance.now();
          const res = await send(port, req);
          latencies.push(performance.now() - t0);
          const row = byRoute.get(req.route) ?? { route: req.route, requests: 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, none: 0, problems: 0 };
          row.requests++;
          if (res.status <= 0) row.none++;
          else row[`${Math.floor(res.status / 100)}xx`]++;
          const problem = judge(req, res);
          if (problem) {
            row.problems++;
            if (problems.length < 50) problems.push({ problem, method: req.method, path: req.path.slice(0, 300), body: req.body?.slice(0, 300), transport: req.transport });
          }
          if (res.status >= 200 && res.status < 300 && req.method !== 'GET') wrote = true;
          byRoute.set(req.route, row);
        }
      }),
    );
    sent += batch.length;
    // A batch with no accepted write must leave every stored table as it was.
    const now = await snapshot(db);
    const changed = changedTables(state, now);
    if (!wrote && changed.length) stateViolations.push({ batch: b, changed });
    state = now;
    if (b % 20 === 0) process.stderr.write(`  ${sent}/${REQUESTS} requests, ${problems.length} problems\n`);
  }
  const seconds = (Date.now() - started) / 1000;
  await db.end();
  const alive = (await fetch(`${base}/health/live`)).status === 200;
  // The fuzzer holds the admin key, so it may have deleted `credit` for real:
  // serving is checked on a model set up after the fuzzing.
  await setUpModel('after-fuzz');
  let predict = { status: 0 };
  for (let i = 0; i < 50 && predict.status !== 200; i++) {
    predict = await fetch(`${base}/v1/models/after-fuzz/predict`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ inputs: [new Array(30).fill(0.1)] }) });
    if (predict.status !== 200) await new Promise((r) => setTimeout(r, 100));
  }

  latencies.sort((a, b) => a - b);
  const rows = [...byRoute.values()].sort((a, b) => a.route.localeCompare(b.route));
  const total = rows.reduce((t, r) => ({ requests: t.requests + r.requests, '5xx': t['5xx'] + r['5xx'], problems: t.problems + r.problems }), { requests: 0, '5xx': 0, problems: 0 });
  console.log(`\nModelgate fuzz: ${sent} requests in ${seconds.toFixed(1)} s, seed ${SEED}, concurrency ${CONCURRENCY}\n`);
  console.log(`${'route'.padEnd(62)} ${'reqs'.padStart(6)} ${'2xx'.padStart(6)} ${'4xx'.padStart(6)} ${'5xx'.padStart(5)} ${'none'.padStart(5)} ${'bad'.padStart(4)}`);
  for (const r of rows) {
    console.log(`${r.route.slice(0, 62).padEnd(62)} ${String(r.requests).padStart(6)} ${String(r['2xx']).padStart(6)} ${String(r['4xx']).padStart(6)} ${String(r['5xx']).padStart(5)} ${String(r.none).padStart(5)} ${String(r.problems).padStart(4)}`);
  }
  const p = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]?.toFixed(1);
  console.log(`\nanswers not kept to the rules: ${total.problems}; 5xx (honest 503s included): ${total['5xx']}; refused batches that changed stored state: ${stateViolations.length}`);
  console.log(`latency p50 ${p(0.5)} ms, p99 ${p(0.99)} ms; alive after: ${alive}; a prediction after: ${predict.status}`);
  for (const pr of problems.slice(0, 10)) console.log(`  ${pr.method} ${pr.path.slice(0, 100)} [${pr.transport}]: ${pr.problem.slice(0, 200)}`);

  fs.mkdirSync(RESULTS, { recursive: true });
  const file = path.join(RESULTS, `fuzz-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  fs.writeFileSync(file, JSON.stringify({ requests: sent, seconds, seed: SEED, concurrency: CONCURRENCY, alive, predict_after: predict.status, routes: rows, problems, state_violations: stateViolations, latency_ms: { p50: Number(p(0.5)), p99: Number(p(0.99)) } }, null, 2));
  console.log(`\nwrote ${path.relative(ROOT, file)}`);
  const ok = alive && predict.status === 200 && total.problems === 0 && stateViolations.length === 0;
  if (!ok && stderr) console.log(`\nservice stderr (tail):\n${stderr.slice(-1500)}`);
  return ok;
}

main()
  .then(async (ok) => {
    await cleanup();
    process.exit(ok ? 0 : 1);
  })
  .catch(async (err) => {
    console.error(err);
    await cleanup();
    process.exit(1);
  });
