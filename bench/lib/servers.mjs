// Starting Modelgate, the server under test (dist/main.js on the embedded
// PostgreSQL or a fresh database of a given server), checked to answer the
// fixture's first row right on /v1, V2 JSON and V2 binary before any load.
// `withModelgate` (and lib/anchors.mjs's `withAnchor` for the anchors) is the
// one place a server is started, used and stopped.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MODEL, MODEL_FILE, ROOT, S } from './settings.mjs';
import { BenchError, log, sleep } from './log.mjs';
import { onCleanup, spawnChild, stopChild, tail } from './children.mjs';
import { cpuScope } from './cpu.mjs';
import { freePort, http } from './http.mjs';
import { v2BinaryScore } from './workload.mjs';

export async function waitFor(rec, what, fn, timeoutS) {
  const deadline = Date.now() + timeoutS * 1000;
  let last = '';
  while (Date.now() < deadline) {
    if (rec.exited) throw new BenchError(`${rec.name} exited (code ${rec.code}, signal ${rec.signal}) while waiting for ${what}. Log tail:\n${tail(rec)}`);
    try {
      const r = await fn();
      if (r === true) return;
      last = r;
    } catch (err) {
      last = err.message;
    }
    await sleep(200);
  }
  throw new BenchError(`${rec.name}: ${what} not reached within ${timeoutS}s (last: ${String(last).slice(0, 300)}). Log tail:\n${tail(rec)}`);
}

export function checkScore(server, what, res, score, expected) {
  if (res.status !== 200 || typeof score !== 'number') {
    throw new BenchError(`${server.name}: ${what} answered ${res.status}: ${res.text.slice(0, 500)}${server.rec ? `\nLog tail:\n${tail(server.rec)}` : ''}`);
  }
  if (typeof expected === 'number' && Math.abs(score - expected) > 1e-5) {
    throw new BenchError(`${server.name}: ${what} scored ${score}, the fixture's expected.json says ${expected}`);
  }
}

/** Throws with the server's log tail when an API call did not answer `want`. */
export function expectStatus(server, what, r, ...want) {
  if (!want.includes(r.status)) throw new BenchError(`${server.name}: ${what} answered ${r.status}: ${r.text.slice(0, 500)}\nLog tail:\n${tail(server.rec)}`);
  return r;
}

/** Modelgate's config variables (cleared from the environment servers inherit) and its defaults. */
export async function loadModelgateConfig() {
  const file = path.join(ROOT, 'dist/config/config.schema.js');
  if (!fs.existsSync(file)) throw new BenchError(`${file} is missing: run "npm run build" first (npm run bench does)`);
  const mod = await import(pathToFileURL(file).href);
  const c = mod.loadConfig({});
  return {
    variables: mod.CONFIG_VARIABLES ?? [],
    defaults: { batchMaxSize: c.serving.batchMaxSize, batchMaxWaitMs: c.serving.batchMaxWaitMs, telemetryQueueSize: c.telemetry.queueSize },
  };
}

function modelgateEnv(h, port, extra) {
  const e = { ...process.env };
  for (const k of h.config.variables) delete e[k];
  Object.assign(e, { PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', MODELGATE_DATA_DIR: h.db.dataDir, ONNXRUNTIME_NODE_INSTALL: 'skip', GRPC_PORT: '0' });
  // The scale and upload scenarios set up hundreds of models with one key: the registry write budget is not what they measure.
  e.MODELGATE_RATE_LIMIT_WRITE_PER_S = '0';
  if (h.db.databaseUrl) Object.assign(e, { DATABASE_URL: h.db.databaseUrl, MODELGATE_ADMIN_TOKEN: h.db.adminToken });
  return Object.assign(e, extra);
}

let mgStarts = 0;
/**
 * Starts dist/main.js and waits until it is live, has an admin key, is ready
 * and (unless `setUp: false`) serves model `bc` right on /v1 and V2. The first
 * start on a database uploads the fixture as `bc` version 1, alias production.
 * `nodeArgs` go before the script (`--cpu-prof`, say).
 */
export async function startModelgate(h, label, extraEnv = {}, { setUp = true, nodeArgs = [] } = {}) {
  const port = await freePort();
  const main = path.join(ROOT, 'dist/main.js');
  if (!fs.existsSync(main)) throw new BenchError(`${main} is missing: run "npm run build" first (npm run bench does)`);
  const logName = `modelgate-${++mgStarts}-${label.replace(/[^\w.-]+/g, '_')}.log`;
  // BENCH_MODELGATE_NODE_ARGS (space-separated) profiles any scenario's services: "--cpu-prof --cpu-prof-dir=/tmp/p".
  const extraArgs = (process.env.BENCH_MODELGATE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const rec = spawnChild(`modelgate (${label})`, process.execPath, [...extraArgs, ...nodeArgs, main], { env: modelgateEnv(h, port, extraEnv), logFile: path.join(h.logDir, logName) });
  const server = { rec, kind: 'modelgate', name: `modelgate ${label}`, base: `http://127.0.0.1:${port}`, port, env: extraEnv, log: path.join(h.logDir, logName) };
  const started = Date.now();
  await waitFor(rec, 'GET /health/live 200', async () => (await http('GET', `${server.base}/health/live`)).status === 200 || 'not live', S.startTimeoutS);
  server.headers = { authorization: `Bearer ${await adminKey(h, rec)}` };
  if (setUp && !h.db.setUp) {
    await setUpModel(server, h);
    h.db.setUp = true;
  }
  await waitFor(rec, 'GET /health/ready 200', async () => {
    const r = await http('GET', `${server.base}/health/ready`);
    return r.status === 200 || `${r.status} ${r.text.slice(0, 200)}`;
  }, S.startTimeoutS);
  if (!setUp) {
    server.startupS = Math.round((Date.now() - started) / 100) / 10;
    return server;
  }
  await waitFor(rec, `model "${MODEL}" loaded (GET /v2/models/${MODEL}/ready 200)`, async () => {
    const r = await http('GET', `${server.base}/v2/models/${MODEL}/ready`, { headers: server.headers });
    return r.status === 200 || `${r.status} ${r.text.slice(0, 200)}`;
  }, S.startTimeoutS);
  server.startupS = Math.round((Date.now() - started) / 100) / 10;
  // The routes under test must answer, and answer right, before any load.
  const { first } = h.work;
  const v1 = await http('POST', `${server.base}/v1/models/${MODEL}/predict`, { body: first.v1, headers: server.headers });
  checkScore(server, `POST /v1/models/${MODEL}/predict`, v1, v1.json?.predictions?.[0]?.score, first.p1);
  const v2 = await http('POST', `${server.base}/v2/models/${MODEL}/infer`, { body: first.v2, headers: server.headers });
  const probs = v2.json?.outputs?.find((o) => o.name === 'probabilities')?.data;
  checkScore(server, `POST /v2/models/${MODEL}/infer`, v2, probs?.[1], first.p1);
  const bin = await fetch(`${server.base}/v2/models/${MODEL}/infer`, { method: 'POST', headers: { ...server.headers, ...first.v2bin.headers }, body: first.v2bin.body, signal: AbortSignal.timeout(10_000) });
  const binBody = Buffer.from(await bin.arrayBuffer());
  const headerLength = Number(bin.headers.get('inference-header-content-length'));
  const binScore = bin.status === 200 && headerLength > 0 ? v2BinaryScore(headerLength, binBody) : undefined;
  checkScore(server, `POST /v2/models/${MODEL}/infer (binary tensor data)`, { status: bin.status, text: binBody.toString('utf8', 0, 500) }, binScore, first.p1);
  return server;
}

async function adminKey(h, rec) {
  if (!h.db.key) {
    if (h.db.adminToken) h.db.key = h.db.adminToken;
    else {
      const keyFile = path.join(h.db.dataDir, 'admin.key');
      await waitFor(rec, `${keyFile}`, async () => fs.existsSync(keyFile) || 'no admin.key yet', 30);
      h.db.key = fs.readFileSync(keyFile, 'utf8').trim();
    }
  }
  return h.db.key;
}

async function setUpModel(server, h) {
  const hd = server.headers;
  let r = await http('POST', `${server.base}/api/v1/models`, { body: { name: MODEL, task: 'binary_classification' }, headers: hd });
  if (!(r.status === 409 && h.db.databaseUrl)) expectStatus(server, 'POST /api/v1/models', r, 201);
  const form = new FormData();
  form.append('file', new Blob([fs.readFileSync(MODEL_FILE)], { type: 'application/octet-stream' }), path.basename(MODEL_FILE));
  r = expectStatus(server, `POST /api/v1/models/${MODEL}/versions`, await http('POST', `${server.base}/api/v1/models/${MODEL}/versions`, { body: form, headers: hd, timeoutMs: 60_000 }), 201);
  const version = r.json.version;
  r = await http('PUT', `${server.base}/api/v1/models/${MODEL}/aliases/production`, { body: { version }, headers: hd });
  expectStatus(server, `PUT /api/v1/models/${MODEL}/aliases/production`, r, 200);
  h.db.version = version;
}

/** Starts a server, runs `fn` with it, and always stops it: the one start/try/stop of every scenario. */
async function withServer(start, fn) {
  const srv = await start;
  try {
    return await fn(srv);
  } finally {
    await stopChild(srv.rec);
  }
}
export const withModelgate = (h, label, extraEnv, fn, opts) => withServer(startModelgate(h, label, extraEnv, opts), fn);

/**
 * A database for Modelgate: by default the embedded PostgreSQL in `dataDir`;
 * with a server URL, a fresh database on it (dropped at the end).
 */
export async function prepareDatabase(dataDir, url, name = `mg_bench_${randomBytes(6).toString('hex')}`) {
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o755 });
  fs.chmodSync(dataDir, 0o755);
  const db = { dataDir, key: null, setUp: false, databaseUrl: null, adminToken: null };
  if (!url) return db;
  const { default: pg } = await import('pg');
  const env = process.env;
  db.adminToken = env.MODELGATE_ADMIN_TOKEN && env.MODELGATE_ADMIN_TOKEN.length >= 32 ? env.MODELGATE_ADMIN_TOKEN : randomBytes(32).toString('base64url');
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query(`CREATE DATABASE ${name}`);
    const u = new URL(url);
    u.pathname = `/${name}`;
    db.databaseUrl = u.toString();
    cpuScope.externalDbName = name;
    log(`using a fresh database ${name} on the given PostgreSQL server`);
    onCleanup(async () => {
      if (S.keep) return;
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    });
  } catch (err) {
    log(`cannot create a fresh database (${err.message}); using the given database as is`);
    db.databaseUrl = url;
    cpuScope.externalDbName = new URL(url).pathname.slice(1) || null;
  } finally {
    await client.end().catch(() => {});
  }
  return db;
}
