// The monitor at the rate it is sold for (issue 22, PRODUCT.md "Monitor at
// rate"): through the service's own write paths, predictions through /v1 in
// batched requests and 10% of them labelled through /v1/feedback, the volume
// of an hour at 10,000/s (36M predictions) sent as fast as the machine takes
// them; then
//   - GET /performance over the span they cover (bar < 500 ms; exact when
//     the span is an hour or less, checked against this script's own AUC),
//   - GET /performance over the day around them (bar < 2 s; read from
//     hour cells and histograms, so its cost grows with cells, not rows),
//   - labels accepted per second on one replica (bar >= 20,000),
//   - how long after the last label the AUC gauges show it (bar <= 60 s),
//   - the server's resident memory over the prediction phase (flat: < 10%
//     growth after warm-up).
// With BENCH_PERF_SECOND_FACTOR (default 3) it then adds predictions up to
// that multiple of the first volume and measures again, so the query times
// are known at two volumes and a day (864M predictions) is extrapolated
// linearly from them; the result says which figures were measured and which
// extrapolated, each with the rows it covered.
//
//   npm run build && node bench/standalone/performance-at-rate.mjs
// Env: BENCH_DATABASE_URL | TEST_DATABASE_URL | DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres; a fresh database is made),
// BENCH_PERF_PREDICTIONS (36000000; BENCH_QUICK=1: 360000), BENCH_PERF_LABEL_RATE (0.1),
// BENCH_PERF_BATCH (1000 rows per predict request), BENCH_PERF_LABEL_BATCH (2000),
// BENCH_PERF_CONCURRENCY (4), BENCH_PERF_SECOND_FACTOR (3; 0 skips the second volume).
// Prints a table and one line `RESULT {...json}`; writes bench/results/performance-at-rate-<stamp>.json.
//
// Query-only: BENCH_PERF_DATABASE=<name> (a database kept by an earlier run with BENCH_KEEP=1, on the same
// server) skips ingestion: the current dist/main.js is started on it and the span query (the span its
// minute cells cover) and the day query are measured again, with the exact AUC of the span computed here
// from the stored scores; the result (performance-at-rate-query-only-<stamp>.json) says which database and
// how many predictions and labels it re-measured (BENCH_PERF_FIRST_PREDICTIONS=<n>: only the first minutes
// holding n of them). The database is left as it was. BENCH_CPU_PROF=1 also
// profiles the span query (see perf-query-lib.mjs).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
// One untimed warm-up then the median, in both modes (query-only too): perf-query-lib's timeGet.
import { freePort, ROOT, timeGet, until } from './perf-query-lib.mjs';

const env = process.env;
const QUICK = env.BENCH_QUICK === '1';
const num = (name, dflt) => (env[name] ? Number(env[name]) : dflt);
const S = {
  predictions: num('BENCH_PERF_PREDICTIONS', QUICK ? 360_000 : 36_000_000),
  labelRate: num('BENCH_PERF_LABEL_RATE', 0.1),
  batch: num('BENCH_PERF_BATCH', 1000),
  labelBatch: num('BENCH_PERF_LABEL_BATCH', 2000),
  concurrency: num('BENCH_PERF_CONCURRENCY', 4),
  secondFactor: num('BENCH_PERF_SECOND_FACTOR', 3),
};
const QUEUE_HIGH = 60_000;
const QUEUE_LOW = 10_000;
const BARS = { span_ms: 500, day_ms: 2000, labels_per_s: 20_000, gauge_fresh_s: 60, memory_growth: 0.1 };
const DAY_PREDICTIONS = 864_000_000;
const MODEL = 'bc';
const serverUrl = env.BENCH_DATABASE_URL || env.TEST_DATABASE_URL || env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const token = `mgk_bench_${randomBytes(24).toString('hex')}`;
const auth = { authorization: `Bearer ${token}` };
const admin = new pg.Client({ connectionString: serverUrl });
let child;
let dbName;

const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : null;
};

/** Request bodies of BENCH_PERF_BATCH rows: the fixture's rows with a little noise, so scores are many and distinct. */
function bodies() {
  const lines = fs.readFileSync(path.join(ROOT, 'test/fixtures/breast_cancer_xgb.test.csv'), 'utf8').trim().split('\n');
  const header = lines[0].split(',');
  const label = header.indexOf('label');
  const rows = lines.slice(1).map((l) => l.split(',').map(Number).filter((_, i) => i !== label));
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  return Array.from({ length: 32 }, () =>
    JSON.stringify({ inputs: Array.from({ length: S.batch }, () => rows[Math.floor(rand() * rows.length)].map((v) => v * (1 + (rand() - 0.5) * 0.3))) }),
  );
}

/** Labelled predictions kept by the script: id bytes, score, label. */
class Labelled {
  constructor(capacity) {
    this.ids = Buffer.alloc(capacity * 16);
    this.scores = new Float64Array(capacity);
    this.labels = new Uint8Array(capacity);
    this.times = new Float64Array(capacity);
    this.n = 0;
  }
  add(id, score, label) {
    const i = this.n++;
    this.ids.write(id.replaceAll('-', ''), i * 16, 'hex');
    this.scores[i] = score;
    this.labels[i] = label;
    this.times[i] = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
  }
  id(i) {
    const h = this.ids.toString('hex', i * 16, i * 16 + 16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
}

/** Exact AUC (ties one half) of the labelled predictions whose time is in [from, to), leaving out ids in `skip` (labels whose record was dropped). */
function exactAuc(l, from, to, skip = new Set()) {
  const idx = [];
  for (let i = 0; i < l.n; i++) if (l.times[i] >= from && l.times[i] < to && (skip.size === 0 || !skip.has(l.id(i)))) idx.push(i);
  idx.sort((a, b) => l.scores[a] - l.scores[b]);
  let below = 0;
  let sum = 0;
  let P = 0;
  for (let s = 0; s < idx.length; ) {
    let e = s;
    let p = 0;
    let n = 0;
    while (e < idx.length && l.scores[idx[e]] === l.scores[idx[s]]) (l.labels[idx[e++]] ? p++ : n++);
    sum += p * (below + n / 2);
    below += n;
    P += p;
    s = e;
  }
  return { auc: sum / P / below, labels: idx.length };
}

async function predictPhase(target, labelled, sent, memory) {
  const texts = bodies();
  let next = 0;
  let rand = 987654321;
  const r = () => ((rand = (rand * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const started = performance.now();
  let first = Infinity;
  let last = 0;
  const sampler = setInterval(() => memory.push({ at_s: Math.round((performance.now() - started) / 100) / 10, rows: sent.n, rss_mb: rssMb(child.pid) }), 5000);
  // "As fast as the machine takes them": the log's queue is the machine's answer. Past QUEUE_HIGH queued
  // records the senders wait for it to drain to QUEUE_LOW, so no record is dropped for want of room.
  let paused = false;
  let pausedMs = 0;
  const watch = setInterval(async () => {
    try {
      const depth = await scrape('modelgate_telemetry_queue_depth{kind="prediction"}');
      if (!paused && depth > QUEUE_HIGH) paused = true;
      else if (paused && depth < QUEUE_LOW) paused = false;
    } catch {
      // the next look decides
    }
  }, 200);
  let requested = sent.n;
  const worker = async () => {
    for (;;) {
      if (requested >= target) return;
      while (paused) {
        await new Promise((r) => setTimeout(r, 50));
        pausedMs += 50 / S.concurrency;
      }
      requested += S.batch;
      const k = next++;
      const res = await fetch(`${sent.url}/v1/models/${MODEL}/predict`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: texts[k % texts.length] });
      if (res.status !== 200) throw new Error(`predict answered ${res.status}: ${await res.text()}`);
      const body = await res.json();
      sent.variant = body.variant;
      for (const p of body.predictions) {
        const t = parseInt(p.prediction_id.slice(0, 8) + p.prediction_id.slice(9, 13), 16);
        if (t < first) first = t;
        if (t > last) last = t;
        if (r() < S.labelRate) labelled.add(p.prediction_id, p.score, r() < p.score ? 1 : 0);
      }
      sent.n += body.predictions.length;
    }
  };
  await Promise.all(Array.from({ length: S.concurrency }, worker));
  clearInterval(sampler);
  clearInterval(watch);
  memory.push({ at_s: Math.round((performance.now() - started) / 100) / 10, rows: sent.n, rss_mb: rssMb(child.pid) });
  const seconds = (performance.now() - started) / 1000;
  return { seconds, first, last, paused_s: Math.round(pausedMs / 100) / 10 };
}

async function labelPhase(labelled, from) {
  let next = from;
  const started = performance.now();
  let accepted = 0;
  const worker = async () => {
    for (;;) {
      const lo = next;
      if (lo >= labelled.n) return;
      next = Math.min(labelled.n, lo + S.labelBatch);
      const items = [];
      for (let i = lo; i < next; i++) items.push({ prediction_id: labelled.id(i), label: labelled.labels[i] });
      const res = await fetch(`${base()}/v1/feedback`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(items) });
      if (res.status !== 200) throw new Error(`feedback answered ${res.status}: ${await res.text()}`);
      accepted += (await res.json()).accepted;
    }
  };
  await Promise.all(Array.from({ length: S.concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { accepted, seconds, lastLabelAt: Date.now() };
}

let baseUrl;
let dbUrl;
const base = () => baseUrl;

async function scrape(series) {
  const text = await (await fetch(`${base()}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Queries over the span and the day, and the gauge's freshness, at the volume loaded so far. */
async function measure(labelled, sent, span, labels) {
  // Labels whose record was dropped under overload never join; once the log's queue is empty, they are what stays pending.
  await until('the prediction log queue to drain', async () => (await scrape('modelgate_telemetry_queue_depth{kind="prediction"}')) === 0, 600, 250);
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  let unjoinable;
  try {
    await until('the joiner to pass', async () => {
      const a = (await db.query('SELECT count(*)::int AS n FROM pending_labels')).rows[0].n;
      await new Promise((r) => setTimeout(r, 6000));
      return (await db.query('SELECT count(*)::int AS n FROM pending_labels')).rows[0].n === a;
    }, 600, 0);
    unjoinable = new Set((await db.query('SELECT prediction_id::text AS id FROM pending_labels')).rows.map((r) => r.id));
  } finally {
    await db.end();
  }
  const from = new Date(Math.floor(span.first / 60_000) * 60_000);
  const to = new Date(Math.ceil((span.last + 1) / 60_000) * 60_000);
  // The gauge: poll until it shows its window's exact AUC with every label of it.
  const series = `{model="${MODEL}",version="1",variant="${sent.variant}"}`;
  const fresh = await until(
    'the AUC gauge to show the last labels',
    async () => {
      const start = await scrape(`modelgate_model_auc_window_start_seconds${series}`);
      const auc = await scrape(`modelgate_model_auc${series}`);
      const n = await scrape(`modelgate_model_labels_total${series}`);
      if (start === undefined || auc === undefined) return undefined;
      const want = exactAuc(labelled, start * 1000, start * 1000 + 300_000, unjoinable);
      if (n !== want.labels || Math.abs(auc - want.auc) > 1e-6) return undefined;
      return { seconds: Math.round((Date.now() - labels.lastLabelAt) / 100) / 10, window_start: new Date(start * 1000).toISOString(), labels: n, auc };
    },
    600,
    250,
  );
  const spanQ = await timeGet(`${base()}/api/v1/models/${MODEL}/performance?from=${from.toISOString()}&to=${to.toISOString()}&bucket=300`, auth);
  const w = spanQ.body.series.find((s) => s.variant === sent.variant)?.window;
  const want = exactAuc(labelled, from.getTime(), to.getTime(), unjoinable);
  const dayFrom = new Date(Math.floor(span.first / 3_600_000) * 3_600_000 - 12 * 3_600_000);
  const dayQ = await timeGet(`${base()}/api/v1/models/${MODEL}/performance?from=${dayFrom.toISOString()}&to=${new Date(dayFrom.getTime() + 86_400_000).toISOString()}&bucket=3600`, auth);
  const d = dayQ.body.series.find((s) => s.variant === sent.variant)?.window;
  return {
    predictions: sent.n,
    labels: labelled.n,
    labels_unjoinable: unjoinable.size,
    dropped_records: await scrape('modelgate_telemetry_dropped_total{kind="prediction"}'),
    span: { from: from.toISOString(), to: to.toISOString(), minutes: (to - from) / 60_000 },
    span_query: { ms: spanQ.median_ms, rows_covered: w?.predictions, labels_covered: w?.labels, exact: spanQ.body.exact, auc: w?.auc, auc_expected: want.auc, auc_matches: w && Math.abs(w.auc - want.auc) <= (w.auc_error_bound || 1e-6) },
    day_query: { ms: dayQ.median_ms, rows_covered: d?.predictions, labels_covered: d?.labels, exact: dayQ.body.exact, auc: d?.auc, auc_error_bound: d?.auc_error_bound },
    gauge_fresh: fresh,
  };
}

if (env.BENCH_PERF_DATABASE) {
  const { queryOnlyRun } = await import('./perf-query-only.mjs');
  process.exit(await queryOnlyRun({ database: env.BENCH_PERF_DATABASE, serverUrl, token, model: MODEL, bars: BARS }));
}

process.on('SIGTERM', () => {
  if (child && child.exitCode === null) child.kill('SIGTERM');
  process.exit(143);
});
await admin.connect();
const result = { kind: 'modelgate-performance-at-rate', started_at: new Date().toISOString(), settings: S, bars: BARS, machine: { cpus: os.cpus().length, loadavg_at_start: os.loadavg() } };
try {
  dbName = `mg_bench_perf_${randomBytes(4).toString('hex')}`;
  await admin.query(`CREATE DATABASE ${dbName}`);
  const url = new URL(serverUrl);
  url.pathname = `/${dbName}`;
  dbUrl = url.toString();
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-bench-perf-'));
  const logFile = path.join(dataDir, 'server.log');
  child = spawn(process.execPath, [path.join(ROOT, 'dist/main.js')], {
    env: { ...env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', GRPC_PORT: '0', MODELGATE_DATA_DIR: dataDir, DATABASE_URL: url.toString(), MODELGATE_ADMIN_TOKEN: token },
    stdio: ['ignore', fs.openSync(logFile, 'a'), fs.openSync(logFile, 'a')],
  });
  baseUrl = `http://127.0.0.1:${port}`;
  await until('the server', async () => (await fetch(`${base()}/health/live`)).ok);
  await fetch(`${base()}/api/v1/models`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ name: MODEL, task: 'binary_classification' }) });
  const form = new FormData();
  form.append('file', new Blob([fs.readFileSync(path.join(ROOT, 'test/fixtures/breast_cancer_xgb.onnx'))]), 'model.onnx');
  const up = await fetch(`${base()}/api/v1/models/${MODEL}/versions`, { method: 'POST', headers: auth, body: form });
  if (up.status !== 201) throw new Error(`upload answered ${up.status}: ${await up.text()}`);
  await fetch(`${base()}/api/v1/models/${MODEL}/aliases/production`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ version: 1 }) });
  await until('ready', async () => (await fetch(`${base()}/health/ready`)).ok);

  const total = S.predictions * Math.max(1, S.secondFactor || 1);
  const labelled = new Labelled(Math.ceil(total * S.labelRate * 1.2) + 1000);
  const sent = { n: 0, base: 0, url: base(), requests: 0 };
  const memory = [];
  const volumes = [];
  let span = { first: Infinity, last: 0 };
  let labelledFrom = 0;
  for (const target of S.secondFactor > 1 ? [S.predictions, S.predictions * S.secondFactor] : [S.predictions]) {
    sent.base = sent.n;
    const p = await predictPhase(target, labelled, sent, memory);
    span = { first: Math.min(span.first, p.first), last: Math.max(span.last, p.last) };
    const l = await labelPhase(labelled, labelledFrom);
    labelledFrom = labelled.n;
    const m = await measure(labelled, sent, span, l);
    volumes.push({ ...m, paused_s: p.paused_s, predictions_per_s: Math.round((sent.n - sent.base) / p.seconds), labels_per_s: Math.round(l.accepted / l.seconds), labels_accepted: l.accepted, label_seconds: Math.round(l.seconds * 10) / 10 });
    console.log(`volume ${sent.n} predictions, ${labelled.n} labels: span query ${m.span_query.ms} ms (${m.span_query.rows_covered} rows, exact ${m.span_query.exact}), day query ${m.day_query.ms} ms, labels ${volumes.at(-1).labels_per_s}/s, gauge fresh ${m.gauge_fresh.seconds} s`);
  }
  // After warm-up (the first fifth of the rows), the median of the last quarter of samples against the median of the
  // first: one collection's spike is not growth. The largest sample is kept beside it.
  const warm = memory.filter((s) => s.rows >= 0.2 * memory.at(-1).rows).map((s) => s.rss_mb);
  const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const quarter = Math.max(1, Math.floor(warm.length / 4));
  const growth = warm.length >= 4 ? (med(warm.slice(-quarter)) - med(warm.slice(0, quarter))) / med(warm.slice(0, quarter)) : null;
  const peakGrowth = warm.length > 1 ? (Math.max(...warm) - warm[0]) / warm[0] : null;
  const extrapolate = (key) => {
    if (volumes.length < 2) return null;
    const [a, b] = volumes;
    // Never below the larger measured time: at small volumes the difference is noise, and a query does not get faster with rows.
    const slope = Math.max(0, (b[key].ms - a[key].ms) / (b.predictions - a.predictions));
    return { ms: Math.round(b[key].ms + slope * (DAY_PREDICTIONS - b.predictions)), from_rows: [a.predictions, b.predictions], to_rows: DAY_PREDICTIONS, extrapolated: true };
  };
  const last = volumes.at(-1);
  result.volumes = volumes;
  result.memory = { samples: memory, growth_after_warmup: growth === null ? null : Math.round(growth * 1000) / 1000, peak_over_first_warm_sample: peakGrowth === null ? null : Math.round(peakGrowth * 1000) / 1000 };
  result.day_extrapolated = { span_query: extrapolate('span_query'), day_query: extrapolate('day_query') };
  result.checks = {
    // The bar is for an hour's volume (the first); larger volumes are there to extrapolate a day.
    span_query_under_500ms: volumes[0].span_query.ms < BARS.span_ms,
    span_auc_exact: volumes.every((v) => Boolean(v.span_query.auc_matches)),
    day_query_under_2s: (result.day_extrapolated.day_query?.ms ?? last.day_query.ms) < BARS.day_ms,
    labels_per_s_at_least_20000: volumes.every((v) => v.labels_per_s >= BARS.labels_per_s),
    gauge_fresh_within_60s: volumes.every((v) => v.gauge_fresh.seconds <= BARS.gauge_fresh_s),
    memory_flat: growth !== null && growth < BARS.memory_growth,
  };
  result.passed = Object.values(result.checks).every(Boolean);
  console.log(`checks: ${JSON.stringify(result.checks)}`);
} catch (err) {
  result.passed = false;
  result.error = String(err.stack ?? err);
  console.error(`performance-at-rate FAILED: ${result.error}`);
} finally {
  if (child && child.exitCode === null) {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
  if (dbName && env.BENCH_KEEP !== '1') await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
  await admin.end();
}
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, `bench/results/performance-at-rate-${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(result.passed ? 0 : 1);
