// What the performance benches share once the data is in the database:
// starting dist/main.js on a database (optionally under `node --cpu-prof`),
// finding the span its cells cover, the exact AUC of that span computed here
// from the stored labelled scores (independently of the service's code), the
// timed span and day queries, and a summary of a CPU profile by phase.
// Used by the query-only mode of performance-at-rate.mjs and by
// performance-span-seeded.mjs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

export const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

export async function until(what, fn, timeoutS = 120, everyMs = 100) {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const dbUrlOf = (serverUrl, name) => {
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
};

/** Starts dist/main.js on `dbUrl` (which it migrates); with `cpuProfDir`, under `node --cpu-prof`. Resolves once live. */
export async function startServer({ dbUrl, token, cpuProfDir, env = process.env }) {
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-bench-perf-'));
  const logFile = path.join(dataDir, 'server.log');
  const args = cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${cpuProfDir}`, '--cpu-prof-interval=200'] : [];
  // BENCH_PERF_MAIN: another build's main.js (an older build kept aside, to compare on the same data).
  const child = spawn(process.execPath, [...args, env.BENCH_PERF_MAIN || path.join(ROOT, 'dist/main.js')], {
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', GRPC_PORT: '0', MODELGATE_DATA_DIR: dataDir, DATABASE_URL: dbUrl, MODELGATE_ADMIN_TOKEN: token },
    stdio: ['ignore', fs.openSync(logFile, 'a'), fs.openSync(logFile, 'a')],
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await until('the server', async () => (await fetch(`${baseUrl}/health/live`)).ok, 180);
  } catch (err) {
    await stop();
    throw new Error(`${err.message}; its log:\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`);
  }
  return { child, baseUrl, logFile, stop };
}

/** User + system CPU of a process so far, in ms (Linux); null elsewhere. */
export function cpuMs(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/** Times `times` GETs after one untimed warm-up; the median and every time. */
export async function timeGet(url, headers, times = 5) {
  let body;
  const ms = [];
  for (let i = -1; i < times; i++) {
    const t = performance.now();
    const res = await fetch(url, { headers });
    body = await res.json();
    const took = performance.now() - t;
    if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: ${JSON.stringify(body)}`);
    if (i >= 0) ms.push(took);
  }
  const sorted = [...ms].sort((a, b) => a - b);
  return { median_ms: Math.round(sorted[Math.floor(sorted.length / 2)]), all_ms: ms.map((x) => Math.round(x)), body };
}

/**
 * The span a model's minute cells cover (the minutes of its first and last
 * prediction cell), with its predictions, labels and the series with the
 * most predictions.
 */
export async function storedSpan(db, model, firstPredictions = 0) {
  // With `firstPredictions`, the shortest run of minutes from the first that
  // holds that many predictions: a kept run's first volume, measured again.
  const span = (
    await db.query(
      `WITH minutes AS (
         SELECT bucket_start, sum(predictions) AS n FROM prediction_buckets WHERE model_name = $1 AND grain = 60 GROUP BY bucket_start),
       running AS (SELECT bucket_start, sum(n) OVER (ORDER BY bucket_start) AS upto, n FROM minutes)
       SELECT min(bucket_start) AS first, max(bucket_start) AS last, sum(n)::float8 AS predictions FROM running
        WHERE $2::float8 <= 0 OR upto - n < $2::float8`,
      [model, firstPredictions],
    )
  ).rows[0];
  if (!span.first) throw new Error(`no prediction cells of model ${model}`);
  const from = new Date(span.first);
  const to = new Date(new Date(span.last).getTime() + MINUTE_MS);
  const series = (
    await db.query(
      `SELECT version, variant, sum(predictions)::float8 AS n FROM prediction_buckets
        WHERE model_name = $1 AND grain = 60 GROUP BY version, variant ORDER BY n DESC LIMIT 1`,
      [model],
    )
  ).rows[0];
  const labels = (
    await db.query(`SELECT coalesce(sum(labels), 0)::float8 AS n FROM label_buckets WHERE model_name = $1 AND grain = 60 AND bucket_start >= $2 AND bucket_start < $3`, [
      model,
      from,
      to,
    ])
  ).rows[0].n;
  return { from, to, predictions: span.predictions, labels, version: series.version, variant: series.variant };
}

/** Every score of packed chunks (uint32 header: count, top bit set for float64; then the scores). */
function unpack(buf, into) {
  if (!buf) return;
  for (let at = 0; at + 4 <= buf.length; ) {
    const h = buf.readUInt32LE(at);
    const n = h & 0x7fffffff;
    const wide = (h & 0x80000000) !== 0;
    at += 4;
    for (let i = 0; i < n; i++) into.push(wide ? buf.readDoubleLE(at + i * 8) : buf.readFloatLE(at + i * 4));
    at += n * (wide ? 8 : 4);
  }
}

/** Exact AUC (ties one half) of one series' labelled scores stored in the minute cells of [from, to): a comparison sort, not the service's code. */
export async function exactAucOfCells(db, model, version, variant, from, to) {
  const rows = (
    await db.query(
      `SELECT pos_scores, neg_scores FROM label_buckets
        WHERE model_name = $1 AND version = $2 AND variant = $3 AND grain = 60 AND bucket_start >= $4 AND bucket_start < $5`,
      [model, version, variant, from, to],
    )
  ).rows;
  const pos = [];
  const neg = [];
  for (const r of rows) {
    unpack(r.pos_scores, pos);
    unpack(r.neg_scores, neg);
  }
  const s = Float64Array.from(neg).sort();
  const p = Float64Array.from(pos).sort();
  let j = 0;
  let sum = 0;
  for (let i = 0; i < p.length; ) {
    let e = i;
    while (e < p.length && p[e] === p[i]) e++;
    while (j < s.length && s[j] < p[i]) j++;
    let k = j;
    while (k < s.length && s[k] === p[i]) k++;
    sum += (e - i) * (j + (k - j) / 2);
    i = e;
  }
  return { auc: sum / p.length / s.length, labels: p.length + s.length };
}

/** The span query (bucket 300 s, as the bench asks it) and the day around it (bucket 3600 s), timed. */
export async function measureQueries({ baseUrl, headers, model, span, expected, repeats = 5 }) {
  const spanQ = await timeGet(`${baseUrl}/api/v1/models/${model}/performance?from=${span.from.toISOString()}&to=${span.to.toISOString()}&bucket=300`, headers, repeats);
  const w = spanQ.body.series.find((s) => s.variant === span.variant && s.version === span.version)?.window;
  const dayFrom = new Date(Math.floor(span.from.getTime() / HOUR_MS) * HOUR_MS - 12 * HOUR_MS);
  const dayQ = await timeGet(`${baseUrl}/api/v1/models/${model}/performance?from=${dayFrom.toISOString()}&to=${new Date(dayFrom.getTime() + 86_400_000).toISOString()}&bucket=3600`, headers, repeats);
  const d = dayQ.body.series.find((s) => s.variant === span.variant && s.version === span.version)?.window;
  return {
    span: { from: span.from.toISOString(), to: span.to.toISOString(), minutes: (span.to - span.from) / MINUTE_MS },
    span_query: {
      ms: spanQ.median_ms,
      all_ms: spanQ.all_ms,
      rows_covered: w?.predictions,
      labels_covered: w?.labels,
      exact: spanQ.body.exact,
      auc: w?.auc,
      auc_expected: expected?.auc,
      auc_matches: Boolean(w && expected && Math.abs(w.auc - expected.auc) <= (w.auc_error_bound || 1e-6)),
    },
    day_query: { ms: dayQ.median_ms, all_ms: dayQ.all_ms, rows_covered: d?.predictions, labels_covered: d?.labels, exact: dayQ.body.exact, auc: d?.auc, auc_error_bound: d?.auc_error_bound },
    bodies: { span: spanQ.body, day: dayQ.body },
  };
}

export { pg };

/**
 * The queries alone on a database that already holds the data: starts
 * dist/main.js on it (under --cpu-prof when `cpuProfDir` is given), derives
 * the span from its cells, computes the expected AUC from the stored scores,
 * times the span and day queries, then (with a profile) times `profileRuns`
 * more span queries in a window of the profile and summarises it by phase.
 */
export async function queryOnly({ dbUrl, model, token, repeats = 5, cpuProfDir, profileRuns = 10, log = console.log, firstPredictions = 0 }) {
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  let span;
  let expected;
  try {
    span = await storedSpan(db, model, firstPredictions);
    expected = await exactAucOfCells(db, model, span.version, span.variant, span.from, span.to);
  } finally {
    await db.end();
  }
  const server = await startServer({ dbUrl, token, cpuProfDir });
  const headers = { authorization: `Bearer ${token}` };
  let m;
  let window;
  try {
    // Not /health/ready: the artifacts stayed in the earlier run's data directory, and the read needs none.
    await new Promise((r) => setTimeout(r, 2000));
    m = await measureQueries({ baseUrl: server.baseUrl, headers, model, span, expected, repeats });
    // The server's own CPU per span query (user + system, from /proc): less at the mercy of a busy machine than wall time.
    const spanUrl = `${server.baseUrl}/api/v1/models/${model}/performance?from=${span.from.toISOString()}&to=${span.to.toISOString()}&bucket=300`;
    const before = cpuMs(server.child.pid);
    for (let i = 0; i < repeats; i++) await (await fetch(spanUrl, { headers })).arrayBuffer();
    m.span_query.server_cpu_ms = before === null ? null : Math.round((cpuMs(server.child.pid) - before) / repeats);
    if (cpuProfDir) {
      const url = `${server.baseUrl}/api/v1/models/${model}/performance?from=${span.from.toISOString()}&to=${span.to.toISOString()}&bucket=300`;
      const from = Number(process.hrtime.bigint() / 1000n);
      const t = performance.now();
      for (let i = 0; i < profileRuns; i++) await (await fetch(url, { headers })).arrayBuffer();
      window = { fromUs: from, toUs: Number(process.hrtime.bigint() / 1000n), queries: profileRuns, mean_ms: Math.round((performance.now() - t) / profileRuns) };
    }
  } finally {
    await server.stop();
  }
  let profile;
  if (cpuProfDir) {
    const { summarise } = await import('./cpu-profile-phases.mjs');
    const files = fs.readdirSync(cpuProfDir).filter((f) => f.endsWith('.cpuprofile')).map((f) => path.join(cpuProfDir, f));
    const file = files.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
    profile = file ? { file, mean_ms_under_profiler: window.mean_ms, ...summarise(file, window.fromUs, window.toUs, window.queries) } : { error: 'no .cpuprofile written' };
  }
  log(
    `volume ${span.predictions} predictions, ${span.labels} labels: span query ${m.span_query.ms} ms (${m.span_query.rows_covered} rows, exact ${m.span_query.exact}), day query ${m.day_query.ms} ms, labels n/a (query-only), gauge fresh n/a (query-only)`,
  );
  return { span, expected, measured: m, profile };
}
