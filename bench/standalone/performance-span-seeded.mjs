// The span query of performance-at-rate.mjs without its ingest: a fresh
// database (random name, migrated by the service itself) gets model `bc`
// with version 1 in production, then the minute and hour cells an hour at
// 10,000/s leaves (36M predictions, 3.73M labelled scores over 24 minutes,
// label chunks appended per 2,000-label request as /v1/feedback does),
// written straight into prediction_buckets and label_buckets. Then
// dist/main.js is started on it and GET /performance over the span (and
// over the day around it) is timed as the bench times it; with
// BENCH_CPU_PROF=1 under `node --cpu-prof`, summarised per phase
// (cpu-profile-phases.mjs). The database is dropped at the end unless
// BENCH_KEEP=1 (then performance-at-rate.mjs can re-measure it with
// BENCH_PERF_DATABASE=<name>).
//
//   npm run build && nice -n 15 node bench/standalone/performance-span-seeded.mjs
// Env: BENCH_DATABASE_URL | TEST_DATABASE_URL | DATABASE_URL, BENCH_SEED_PREDICTIONS
// (36000000), BENCH_SEED_LABELS (3730000), BENCH_SEED_MINUTES (24),
// BENCH_SEED_ENDS_MINUTES_AGO (10: the gauges see the span, as right after an ingest),
// BENCH_PERF_QUERY_REPEATS (5), BENCH_CPU_PROF (0), BENCH_PROFILE_RUNS (10),
// BENCH_SAVE_BODY (a file to write the span answer to, for comparing builds), BENCH_KEEP.
// Writes bench/results/performance-span-seeded-<stamp>.json.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dbUrlOf, HOUR_MS, MINUTE_MS, pg, queryOnly, ROOT, startServer, until } from './perf-query-lib.mjs';

const { packScores } = await import(path.join(ROOT, 'dist/monitoring/buckets/label-deltas.js'));
const { labelBin, LABEL_BINS, scoreBin, SCORE_BINS } = await import(path.join(ROOT, 'dist/monitoring/buckets/score-histograms.js'));

const env = process.env;
const num = (name, dflt) => (env[name] ? Number(env[name]) : dflt);
const S = {
  predictions: num('BENCH_SEED_PREDICTIONS', 36_000_000),
  labels: num('BENCH_SEED_LABELS', 3_730_000),
  minutes: num('BENCH_SEED_MINUTES', 24),
  endsMinutesAgo: num('BENCH_SEED_ENDS_MINUTES_AGO', 10),
  labelBatch: 2000,
  repeats: num('BENCH_PERF_QUERY_REPEATS', 5),
};
const MODEL = 'bc';
const VARIANT = 'v1';
const serverUrl = env.BENCH_DATABASE_URL || env.TEST_DATABASE_URL || env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const token = `mgk_bench_${randomBytes(24).toString('hex')}`;
const auth = { authorization: `Bearer ${token}` };

/** Deterministic scores like a boosted model's: sigmoid of a two-humped logit, float32, on a grid fine enough to leave ties. */
function* scores(n, seed = 0x9e3779b9) {
  let s = seed >>> 0;
  const u = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  for (let i = 0; i < n; i++) {
    const g = Math.sqrt(-2 * Math.log(u() || 1e-12)) * Math.cos(2 * Math.PI * u());
    const logit = Math.round((u() < 0.62 ? 3.5 : -3.5) * 4096 + g * 1.8 * 4096) / 4096;
    const score = Math.fround(1 / (1 + Math.exp(-logit)));
    yield { score, y: u() < score ? 1 : 0 };
  }
}

async function register(baseUrl) {
  const post = (p, body) => fetch(`${baseUrl}${p}`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await post('/api/v1/models', { name: MODEL, task: 'binary_classification' });
  const form = new FormData();
  form.append('file', new Blob([fs.readFileSync(path.join(ROOT, 'test/fixtures/breast_cancer_xgb.onnx'))]), 'model.onnx');
  const up = await fetch(`${baseUrl}/api/v1/models/${MODEL}/versions`, { method: 'POST', headers: auth, body: form });
  if (up.status !== 201) throw new Error(`upload answered ${up.status}: ${await up.text()}`);
  const alias = await fetch(`${baseUrl}/api/v1/models/${MODEL}/aliases/production`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ version: 1 }) });
  if (!alias.ok) throw new Error(`alias answered ${alias.status}: ${await alias.text()}`);
}

/** The cells: per minute its labelled scores packed in request-sized chunks, counts and histograms; hours summed from minutes. */
async function seed(db) {
  const first = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - (S.minutes + S.endsMinutesAgo) * MINUTE_MS;
  const gen = scores(S.labels);
  const perMinute = (total, m) => Math.floor((total * (m + 1)) / S.minutes) - Math.floor((total * m) / S.minutes);
  const hours = new Map();
  const cell = () => ({ labels: 0, positives: 0, logLoss: 0, scoreSum: 0, correct: 0, posH: new Int32Array(LABEL_BINS), negH: new Int32Array(LABEL_BINS), preds: 0, scored: 0, predSum: 0, predH: new Float64Array(SCORE_BINS) });
  const minuteRows = [];
  for (let m = 0; m < S.minutes; m++) {
    const start = first + m * MINUTE_MS;
    const c = cell();
    const posChunks = [];
    const negChunks = [];
    const L = perMinute(S.labels, m);
    for (let done = 0; done < L; ) {
      const n = Math.min(S.labelBatch, L - done);
      const pos = [];
      const neg = [];
      for (let i = 0; i < n; i++) {
        const { score, y } = gen.next().value;
        (y ? pos : neg).push(score);
        c.labels++;
        c.positives += y;
        c.scoreSum += score;
        const p = Math.min(Math.max(score, 1e-15), 1 - 1e-15);
        c.logLoss -= y * Math.log(p) + (1 - y) * Math.log(1 - p);
        if ((score >= 0.5 ? 1 : 0) === y) c.correct++;
        (y ? c.posH : c.negH)[labelBin(score)]++;
        c.predH[scoreBin(score)]++;
      }
      if (pos.length) posChunks.push(packScores(pos));
      if (neg.length) negChunks.push(packScores(neg));
      done += n;
    }
    // Every prediction of the minute: the labelled ones stand for the rest.
    c.preds = perMinute(S.predictions, m);
    const k = c.preds / c.labels;
    c.predH = c.predH.map((x) => Math.round(x * k));
    c.scored = c.predH.reduce((a, b) => a + b, 0);
    c.predSum = c.scoreSum * k;
    minuteRows.push({ start, c, pos: Buffer.concat(posChunks), neg: Buffer.concat(negChunks) });
    const h = Math.floor(start / HOUR_MS) * HOUR_MS;
    if (!hours.has(h)) hours.set(h, cell());
    const hc = hours.get(h);
    for (const key of ['labels', 'positives', 'logLoss', 'scoreSum', 'correct', 'preds', 'scored', 'predSum']) hc[key] += c[key];
    for (const [a, b] of [[hc.posH, c.posH], [hc.negH, c.negH], [hc.predH, c.predH]]) for (let i = 0; i < a.length; i++) a[i] += b[i];
  }
  const insertCell = async (grain, start, c, pos, neg) => {
    await db.query(
      `INSERT INTO prediction_buckets (model_name, version, variant, grain, bucket_start, replica_id, predictions, scored, score_sum, score_histogram)
       VALUES ($1, 1, $2, $3, $4, 'seeded-replica', $5, $6, $7, $8::int[])`,
      [MODEL, VARIANT, grain, new Date(start), c.preds, c.scored, c.predSum, Array.from(c.predH)],
    );
    await db.query(
      `INSERT INTO label_buckets (model_name, version, variant, grain, bucket_start, labels, binary_labels, positives, log_loss_sum, score_sum,
         classified, correct, valued, sq_error_sum, abs_error_sum, pos_scores, neg_scores, pos_histogram, neg_histogram)
       VALUES ($1, 1, $2, $3, $4, $5, $5, $6, $7, $8, $5, $9, 0, 0, 0, $10, $11, $12::int[], $13::int[])`,
      [MODEL, VARIANT, grain, new Date(start), c.labels, c.positives, c.logLoss, c.scoreSum, c.correct, pos, neg, Array.from(c.posH), Array.from(c.negH)],
    );
  };
  for (const r of minuteRows) await insertCell(60, r.start, r.c, r.pos, r.neg);
  for (const [h, c] of hours) await insertCell(3600, h, c, null, null);
  return { first: new Date(first).toISOString(), minutes: S.minutes, labels: S.labels, predictions: S.predictions, score_bytes: minuteRows.reduce((a, r) => a + r.pos.length + r.neg.length, 0) };
}

const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
const dbName = `mg_perfseed_${randomBytes(4).toString('hex')}`;
const result = { kind: 'modelgate-performance-span-seeded', started_at: new Date().toISOString(), database: dbName, settings: S, machine: { cpus: os.cpus().length, loadavg_at_start: os.loadavg() } };
try {
  await admin.query(`CREATE DATABASE ${dbName}`);
  const dbUrl = dbUrlOf(serverUrl, dbName);
  const setup = await startServer({ dbUrl, token });
  try {
    await register(setup.baseUrl);
    await until('ready', async () => (await fetch(`${setup.baseUrl}/health/ready`)).ok, 120);
  } finally {
    await setup.stop();
  }
  const db = new pg.Client({ connectionString: dbUrl });
  await db.connect();
  try {
    const t = performance.now();
    result.seeded = await seed(db);
    result.seeded.seconds = Math.round((performance.now() - t) / 100) / 10;
    await db.query('VACUUM ANALYZE prediction_buckets');
    await db.query('VACUUM ANALYZE label_buckets');
  } finally {
    await db.end();
  }
  console.log(`seeded ${dbName}: ${JSON.stringify(result.seeded)}`);
  const cpuProfDir = env.BENCH_CPU_PROF === '1' ? fs.mkdtempSync(path.join(os.tmpdir(), 'mg-cpuprof-')) : undefined;
  const q = await queryOnly({ dbUrl, model: MODEL, token, repeats: S.repeats, cpuProfDir, profileRuns: num('BENCH_PROFILE_RUNS', 10) });
  if (env.BENCH_SAVE_BODY) fs.writeFileSync(env.BENCH_SAVE_BODY, JSON.stringify(q.measured.bodies.span, null, 1) + '\n');
  delete q.measured.bodies;
  Object.assign(result, { span_query: q.measured.span_query, day_query: q.measured.day_query, span: q.measured.span, expected: q.expected, profile: q.profile });
  result.passed = q.measured.span_query.auc_matches && q.measured.span_query.exact === true;
  if (q.profile) console.log(`profile (ms per span query, under the profiler): ${JSON.stringify(q.profile.per_query_ms, null, 1)}`);
} catch (err) {
  result.passed = false;
  result.error = String(err.stack ?? err);
  console.error(`performance-span-seeded FAILED: ${result.error}`);
} finally {
  if (env.BENCH_KEEP !== '1') await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
  else console.log(`kept database ${dbName}`);
  await admin.end();
}
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
fs.writeFileSync(path.join(ROOT, `bench/results/performance-span-seeded-${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
console.log(`RESULT ${JSON.stringify(result)}`);
process.exit(result.passed ? 0 : 1);
