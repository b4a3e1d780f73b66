// Monitoring cost (PRODUCT.md "Bars, how measured"): /v1 predict throughput
// with monitoring on (prediction log, plus sketches once they exist) against
// a second Modelgate with it off, in interleaved rounds (on/off/off/on, then
// off/on/on/off, ..., each run half of BENCH_DURATION_S, so a machine whose
// speed drifts within a round favours neither), one server loaded at a time. A round counts only if the "on" server
// dropped no telemetry record during it; the bar is on/off >= 0.95 on the
// median of at least five counted rounds (seven by default: single rounds on a
// 2-core VM ranged 0.84-1.03 for one build, so five left the median within
// a few hundredths of the bar by chance alone).
//
//   npm run build && node bench/standalone/monitoring-cost.mjs
// Env: BENCH_DATABASE_URL | TEST_DATABASE_URL | DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres; two fresh databases are made),
// BENCH_QUICK=1 (a few seconds in all), BENCH_COST_ROUNDS (7; not BENCH_ROUNDS, which is the scenarios' peak rounds), BENCH_DURATION_S (12),
// BENCH_WARMUP_S (3), BENCH_CONNECTIONS (50), BENCH_LOADGEN (wrk when installed,
// else autocannon, as for `npm run bench`), BENCH_MONITOR_OFF_ENV (JSON of
// variables for the "off" server over the default, which turns off both the
// prediction log (MODELGATE_TELEMETRY_QUEUE_SIZE=0) and the live sketches
// (MODELGATE_MONITOR_SKETCHES=false); e.g. '{"MODELGATE_MONITOR_SKETCHES":"true"}'
// measures the prediction log alone).
// Prints a table and one line `RESULT {...json}`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { runLoad } from '../lib/load.mjs';
import { S as LOAD_SETTINGS } from '../lib/settings.mjs';
import { freePort, ROOT, until } from './perf-query-lib.mjs';

const env = process.env;
const QUICK = env.BENCH_QUICK === '1';
const num = (name, dflt) => (env[name] ? Number(env[name]) : dflt);
const S = {
  rounds: Math.max(1, num('BENCH_COST_ROUNDS', QUICK ? 5 : 7)),
  durationS: num('BENCH_DURATION_S', QUICK ? 2 : 12),
  warmupS: num('BENCH_WARMUP_S', QUICK ? 1 : 3),
  connections: num('BENCH_CONNECTIONS', 50),
  offEnv: JSON.parse(env.BENCH_MONITOR_OFF_ENV || '{}'),
  loadgen: LOAD_SETTINGS.loadgen,
};
const BAR = 0.95;
const MODEL = 'bc';
const serverUrl = env.BENCH_DATABASE_URL || env.TEST_DATABASE_URL || env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const token = `mgk_bench_${randomBytes(24).toString('hex')}`;
const children = [];
const dbs = [];
const admin = new pg.Client({ connectionString: serverUrl });

function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
}
process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});

async function startServer(label, extra) {
  const name = `mg_bench_cost_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${name}`);
  dbs.push(name);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-bench-cost-'));
  const logFile = path.join(dataDir, 'server.log');
  const child = spawn(process.execPath, [path.join(ROOT, 'dist/main.js')], {
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', GRPC_PORT: '0', MODELGATE_DATA_DIR: dataDir, DATABASE_URL: url.toString(), MODELGATE_ADMIN_TOKEN: token, ...extra },
    stdio: ['ignore', fs.openSync(logFile, 'a'), fs.openSync(logFile, 'a')],
  });
  children.push(child);
  const base = `http://127.0.0.1:${port}`;
  const h = { authorization: `Bearer ${token}` };
  await until(`${label} live`, async () => (await fetch(`${base}/health/live`)).ok);
  await fetch(`${base}/api/v1/models`, { method: 'POST', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify({ name: MODEL, task: 'binary_classification' }) });
  const form = new FormData();
  form.append('file', new Blob([fs.readFileSync(path.join(ROOT, 'test/fixtures/breast_cancer_xgb.onnx'))]), 'model.onnx');
  const up = await fetch(`${base}/api/v1/models/${MODEL}/versions`, { method: 'POST', headers: h, body: form });
  if (up.status !== 201) throw new Error(`${label}: upload answered ${up.status}: ${await up.text()}`);
  await fetch(`${base}/api/v1/models/${MODEL}/aliases/production`, { method: 'PUT', headers: { ...h, 'content-type': 'application/json' }, body: JSON.stringify({ version: 1 }) });
  await until(`${label} ready`, async () => (await fetch(`${base}/health/ready`)).ok);
  return { label, base, logFile, pid: child.pid };
}

async function scrape(server, series) {
  const text = await (await fetch(`${server.base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/**
 * One closed-loop run with the bench's load generator (wrk when installed,
 * as `npm run bench` does, else autocannon; BENCH_LOADGEN picks): ok
 * answers, failures, and the CPU the database and others took meanwhile.
 */
async function load(server, durationS, bodiesFile) {
  const url = `${server.base}/v1/models/${MODEL}/predict`;
  const r = await runLoad(S.loadgen, { url, bodiesFile, auth: token, seconds: durationS }, server.pid);
  return { ok: r.requests - r.non2xx, non2xx: r.non2xx, errors: r.errors, rps: r.rps, cpu: r.cpu };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

await admin.connect();
try {
  const lines = fs.readFileSync(path.join(ROOT, 'test/fixtures/breast_cancer_xgb.test.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const labelAt = header.indexOf('label');
  const bodies = lines.slice(1, 33).map((l) => {
    const cells = l.split(',').map(Number);
    return JSON.stringify({ instances: [Object.fromEntries(header.map((f, i) => [f, cells[i]]).filter((_, i) => i !== labelAt))] });
  });
  const bodiesFile = path.join(os.tmpdir(), `mg-bench-cost-${process.pid}.txt`);
  fs.writeFileSync(bodiesFile, bodies.join('\n'));

  const on = await startServer('on', {});
  // Off is all of monitoring off: the prediction log and the live sketches.
  const off = await startServer('off', { MODELGATE_TELEMETRY_QUEUE_SIZE: '0', MODELGATE_MONITOR_SKETCHES: 'false', ...S.offEnv });
  for (const s of [on, off]) await load(s, S.warmupS, bodiesFile);

  const rounds = [];
  for (let r = 0; r < S.rounds; r++) {
    // A B B A, half a run each: a machine whose speed drifts during the round (a
    // burstable VM losing credits does) favours neither side.
    const first = r % 2 ? off : on;
    const second = first === on ? off : on;
    const runs = { on: [], off: [] };
    let dropped = 0;
    for (const s of [first, second, second, first]) {
      // The "on" server writes its queue after a run: wait, so the next run starts on idle cores.
      await until('telemetry queue drained', async () => (await scrape(on, 'modelgate_telemetry_queue_depth{kind="prediction"}')) === 0, 60);
      const d0 = await scrape(on, 'modelgate_telemetry_dropped_total{kind="prediction"}');
      const res = await load(s, S.durationS / 2, bodiesFile);
      if (s === on) dropped += (await scrape(on, 'modelgate_telemetry_dropped_total{kind="prediction"}')) - d0;
      if (res.non2xx || res.errors) throw new Error(`${s.label}: ${res.non2xx} non-2xx answers and ${res.errors} errors under load`);
      runs[s.label].push(res.rps);
    }
    const rps = { on: (runs.on[0] + runs.on[1]) / 2, off: (runs.off[0] + runs.off[1]) / 2 };
    const round = { on: rps.on, off: rps.off, ratio: rps.on / rps.off, dropped, counted: dropped === 0 };
    rounds.push(round);
    console.log(`round ${r + 1}: on ${Math.round(round.on)} req/s, off ${Math.round(round.off)} req/s, ratio ${round.ratio.toFixed(3)}${dropped ? `, ${dropped} records dropped: not counted` : ''}`);
  }
  const counted = rounds.filter((r) => r.counted);
  const ratio = counted.length ? median(counted.map((r) => r.ratio)) : null;
  const result = { loadgen: S.loadgen, rounds, counted: counted.length, median_ratio: ratio, bar: BAR, pass: ratio !== null && counted.length >= 5 && ratio >= BAR, duration_s: S.durationS };
  console.log(`load generator: ${S.loadgen}`);
  console.log(`monitoring cost: median on/off ${ratio === null ? '-' : ratio.toFixed(3)} over ${counted.length} counted rounds (bar >= ${BAR}, at least 5 rounds): ${result.pass ? 'pass' : 'FAIL'}`);
  console.log(`RESULT ${JSON.stringify(result)}`);
  fs.rmSync(bodiesFile, { force: true });
} finally {
  cleanup();
  // Servers close their database connections on SIGTERM; wait for them to exit before dropping their databases.
  await Promise.all(children.map((c) => (c.exitCode !== null ? undefined : new Promise((r) => c.once('exit', r)))));
  for (const name of dbs) await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
  await admin.end();
}
