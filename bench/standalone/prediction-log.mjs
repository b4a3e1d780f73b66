// The prediction log at 10,000 a second for 30 days (PRODUCT.md "Prediction
// log and labels"): bulk-loads one simulated hour of predictions at
// BENCH_LOG_RATE into the partitioned log of a fresh database, with labels for
// a share of them, and reports
//   - rows per second written, for the binary COPY FROM STDIN the recorder
//     uses and the multi-row INSERT it used before, measured interleaved on
//     the same batches first;
//   - bytes per row on disk (heap + indexes + TOAST of the partitions);
//   - the extrapolation to 30 days at the rate;
//   (Performance no longer reads the log: it reads buckets kept as the log
//   is written; bench/standalone/performance-at-rate.mjs measures it.)
//
//   npm run build && node bench/standalone/prediction-log.mjs
// Env: BENCH_DATABASE_URL | TEST_DATABASE_URL | DATABASE_URL (a server where a
// database may be created; default postgres://postgres@127.0.0.1:5432/postgres),
// BENCH_QUICK=1 (a few seconds), BENCH_LOG_RATE (10000), BENCH_LOG_SECONDS (3600),
// BENCH_LOG_BATCH (2000), BENCH_LOG_LABEL_RATE (0.1), BENCH_LOG_COMPARE_ROWS (200000).
// Prints a table and one line `RESULT {...json}`.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = async (p) => import(pathToFileURL(path.join(ROOT, 'dist', p)).href);
const { createDataSource } = await dist('database/database.connection.js');
const { predictionsStatement } = await dist('monitoring/telemetry/telemetry-sql.js');
const { predictionsCopy, PREDICTIONS_COPY_SQL } = await dist('monitoring/telemetry/telemetry-copy.js');
const { createPartitionSql, uuidFloor, DAY_MS } = await dist('monitoring/telemetry/partition-bounds.js');

const env = process.env;
const QUICK = env.BENCH_QUICK === '1';
const num = (name, dflt) => (env[name] ? Number(env[name]) : dflt);
const S = {
  rate: num('BENCH_LOG_RATE', 10_000),
  seconds: num('BENCH_LOG_SECONDS', QUICK ? 2 : 3600),
  batch: num('BENCH_LOG_BATCH', 2_000),
  labelRate: num('BENCH_LOG_LABEL_RATE', 0.1),
  compareRows: num('BENCH_LOG_COMPARE_ROWS', QUICK ? 10_000 : 200_000),
};
const serverUrl = env.BENCH_DATABASE_URL || env.TEST_DATABASE_URL || env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** A UUIDv7 at `ms` with a per-record counter, so a simulated hour has unique, time-ordered ids. */
function idAt(ms, n) {
  const t = ms.toString(16).padStart(12, '0');
  const r = randomBytes(6);
  const seq = n & 0xfff;
  return `${t.slice(0, 8)}-${t.slice(8)}-7${(seq >> 8).toString(16)}${HEX[seq & 0xff]}-${HEX[0x80 | (r[0] & 0x3f)]}${HEX[r[1]]}-${HEX[r[2]]}${HEX[r[3]]}${HEX[r[4]]}${HEX[r[5]]}${((n >>> 12) & 0xffff).toString(16).padStart(4, '0')}`;
}

/** `count` records spread evenly from `startMs` at the rate, two variants, a score and a label each. */
function records(startMs, offset, count) {
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const k = offset + i;
    const ms = startMs + Math.floor((k * 1000) / S.rate);
    const score = ((k * 2654435761) % 1000) / 1000;
    out[i] = { k, id: idAt(ms, k), model: 'bench', version: 1 + (k % 2), variant: k % 2 ? 'v2' : 'v1', protocol: 'v1', fallback: false, createdAt: ms, latencyMs: 0.8, score, label: score > 0.5 ? 1 : 0 };
  }
  return out;
}

async function insert(client, batch) {
  const s = predictionsStatement(batch);
  await client.query(s.sql, s.params);
}

async function copy(client, batch) {
  const { data } = predictionsCopy(batch);
  await new Promise((resolve, reject) => {
    const stream = client.query(copyStreams.from(PREDICTIONS_COPY_SQL));
    stream.on('finish', resolve);
    stream.on('error', reject);
    stream.end(data);
  });
}

async function copyLabels(client, batch) {
  let text = '';
  // A fixed share of the records, spread evenly (Knuth's multiplicative hash of the record number).
  for (const r of batch) if (((r.k * 2654435761) >>> 0) % 1000 < S.labelRate * 1000) text += `${r.id}\t${r.label}\t\\N\t\\N\n`;
  if (!text) return;
  await new Promise((resolve, reject) => {
    const stream = client.query(copyStreams.from('COPY prediction_labels (prediction_id, label, value, outcomes) FROM STDIN'));
    stream.on('finish', resolve);
    stream.on('error', reject);
    stream.end(text);
  });
}

const perRowUs = (t) => Math.round((t.cpuS / t.rows) * 1e6 * 100) / 100;

/** CPU seconds of this connection's backend so far, read from /proc when the server runs here (else always 0, and `local` false). */
async function backendCpu(c) {
  const pid = (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  const tick = 100; // USER_HZ on Linux
  const read = () => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (!stat.includes('(postgres)')) return null;
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / tick;
    } catch {
      return null;
    }
  };
  const local = read() !== null;
  return Object.assign(() => (local ? read() : 0), { local });
}

const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
const dbName = `mg_bench_log_${randomBytes(4).toString('hex')}`;
await admin.query(`CREATE DATABASE ${dbName}`);
const url = new URL(serverUrl);
url.pathname = `/${dbName}`;
const client = new pg.Client({ connectionString: url.toString() });
try {
  const ds = createDataSource(url.toString(), 2);
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
  await client.connect();

  // The simulated traffic ends an hour ago, so its days have partitions like live traffic's.
  const total = Math.round(S.rate * S.seconds);
  const start = Date.now() - 3600_000 - S.seconds * 1000;
  for (let d = Math.floor(start / DAY_MS) * DAY_MS; d < start + S.seconds * 1000 + DAY_MS; d += DAY_MS) {
    for (const t of ['predictions', 'shadow_predictions', 'prediction_labels']) await client.query(createPartitionSql(t, d));
  }

  // Write path: INSERT and COPY interleaved on alternate batches of the same traffic,
  // timed and, when the server is on this machine, charged the CPU of the backend.
  const timing = { insert: { rows: 0, s: 0, cpuS: 0 }, copy: { rows: 0, s: 0, cpuS: 0 } };
  const backend = await backendCpu(client);
  let offset = 0;
  for (let b = 0; offset < Math.min(S.compareRows, total); b++) {
    const batch = records(start, offset, Math.min(S.batch, total - offset));
    const method = b % 2 ? 'copy' : 'insert';
    const t0 = performance.now();
    const c0 = backend();
    await (method === 'copy' ? copy(client, batch) : insert(client, batch));
    timing[method].s += (performance.now() - t0) / 1000;
    timing[method].cpuS += backend() - c0;
    timing[method].rows += batch.length;
    offset += batch.length;
    await copyLabels(client, batch);
  }
  const insertRate = timing.insert.rows / timing.insert.s;
  const copyRate = timing.copy.rows / timing.copy.s;
  const best = copyRate > insertRate ? 'copy' : 'insert';

  // Bulk-load the rest of the hour with the faster one (label writes included in its time).
  const t0 = performance.now();
  const loaded0 = offset;
  while (offset < total) {
    const batch = records(start, offset, Math.min(S.batch, total - offset));
    await (best === 'copy' ? copy(client, batch) : insert(client, batch));
    await copyLabels(client, batch);
    offset += batch.length;
  }
  const bulkS = (performance.now() - t0) / 1000;
  await client.query('ANALYZE predictions; ANALYZE prediction_labels');

  const size = async (table) =>
    Number((await client.query(
      `SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0)::bigint AS b FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`, [table])).rows[0].b);
  const predictionBytes = await size('predictions');
  const labelBytes = await size('prediction_labels');
  const labels = Number((await client.query('SELECT count(*) AS n FROM prediction_labels')).rows[0].n);
  const bytesPerRow = predictionBytes / total;
  const bytes30d = (predictionBytes + labelBytes) / S.seconds * 86400 * 30;


  const result = {
    rate: S.rate,
    seconds: S.seconds,
    rows: total,
    labels,
    write_rows_per_s: { insert: Math.round(insertRate), copy: Math.round(copyRate), chosen: best, bulk: Math.round((total - loaded0) / bulkS) || null },
    backend_cpu_us_per_row: backend.local ? { insert: perRowUs(timing.insert), copy: perRowUs(timing.copy) } : null,
    bytes_per_row: Math.round(bytesPerRow),
    label_bytes_per_row: labels ? Math.round(labelBytes / labels) : null,
    extrapolated_30d_gb: Math.round(bytes30d / 1e9),
    rate_sustained: Math.min(insertRate, copyRate) >= S.rate || Math.max(insertRate, copyRate) >= S.rate,
  };
  console.log(`prediction log: ${total} rows (${S.seconds} s at ${S.rate}/s), ${labels} labels`);
  console.log(`  write: INSERT ${result.write_rows_per_s.insert} rows/s, COPY ${result.write_rows_per_s.copy} rows/s (interleaved, ${timing.insert.rows + timing.copy.rows} rows); bulk with ${best}: ${result.write_rows_per_s.bulk ?? '-'} rows/s`);
  if (result.backend_cpu_us_per_row) console.log(`  PostgreSQL backend CPU: INSERT ${result.backend_cpu_us_per_row.insert} us/row, COPY ${result.backend_cpu_us_per_row.copy} us/row`);
  console.log(`  disk: ${result.bytes_per_row} B/row (+ labels ${result.label_bytes_per_row ?? '-'} B/label); 30 days at ${S.rate}/s: ~${result.extrapolated_30d_gb} GB`);
  console.log(`RESULT ${JSON.stringify(result)}`);
} finally {
  await client.end().catch(() => {});
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
}
