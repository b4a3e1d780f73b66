// The prediction log on a stream (MODELGATE_PREDICTION_LOG=nats://...) against
// the PostgreSQL log, per replica: the same records through the recorder's own
// queue, channel and sinks, measured one after the other on one machine:
//   - rows per second each log stores (NATS: publish with every acknowledgement
//     awaited, then the slim rows' COPY; PostgreSQL: the full binary COPY);
//   - event-loop time per row spent queueing (`record`, on the request) and
//     preparing batches and handing them to the client (at flush): what the
//     serving loop pays;
//   - bytes per prediction in the JetStream file store, in prediction_scores
//     and in predictions (heap + indexes + TOAST of the partitions).
//
//   npm run build && node bench/standalone/prediction-stream.mjs
// Env: BENCH_DATABASE_URL | TEST_DATABASE_URL | DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres), BENCH_STREAM_ROWS (200000),
// BENCH_STREAM_BATCH (2000, MODELGATE_TELEMETRY_BATCH_SIZE's default),
// BENCH_INPUT_SAMPLE_RATE (0.01), NATS_SERVER (the nats-server binary; Debian's by default).
// Prints a summary and one line `RESULT {...json}`.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dist = async (p) => import(pathToFileURL(path.join(ROOT, 'dist', p)).href);
const { createDataSource } = await dist('database/database.connection.js');
const { createLogger } = await dist('common/logger.js');
const { uuidv7 } = await dist('common/ids.js');
const { TelemetryDatabase } = await dist('monitoring/telemetry/telemetry-database.js');
const { TelemetryChannel } = await dist('monitoring/telemetry/telemetry-channel.js');
const { EncodedRowQueue } = await dist('monitoring/telemetry/encoded-row-queue.js');
const { writePredictionRow } = await dist('monitoring/telemetry/telemetry-copy.js');
const { postgresPredictionSink } = await dist('monitoring/telemetry/postgres-prediction-log.js');
const { RecordQueue, streamPredictionSink } = await dist('monitoring/telemetry/stream-prediction-log.js');
const { PredictionStream } = await dist('monitoring/telemetry/prediction-stream.js');
const { PredictionScoreStore } = await dist('monitoring/telemetry/prediction-scores.js');
const { PREDICTION_STREAM } = await dist('monitoring/telemetry/prediction-event.js');
const { freePort } = await dist('common/net.js');

const env = process.env;
const ROWS = Number(env.BENCH_STREAM_ROWS ?? 200_000);
const BATCH = Number(env.BENCH_STREAM_BATCH ?? 2_000);
const SAMPLE = Number(env.BENCH_INPUT_SAMPLE_RATE ?? 0.01);
const serverUrl = env.BENCH_DATABASE_URL || env.TEST_DATABASE_URL || env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const natsBin = env.NATS_SERVER ?? ['/usr/sbin/nats-server', '/usr/bin/nats-server'].find((p) => fs.existsSync(p));
if (!natsBin) throw new Error('nats-server not found (Debian package nats-server); set NATS_SERVER');

const FEATURES = ['income', 'debt_ratio', 'age', 'credit_lines', 'utilization', 'delinquencies', 'tenure_months', 'loan_amount', 'interest_rate', 'employment_years', 'region', 'product'];
function records(n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const score = ((i * 2654435761) % 1000) / 1000;
    out[i] = { id: uuidv7(), model: 'credit-risk', version: 3 + (i % 2), variant: i % 10 ? 'production' : 'canary', protocol: 'v1', fallback: false, createdAt: Date.now(), latencyMs: 0.8, score, label: score > 0.5 ? 1 : 0 };
    if (Math.random() < SAMPLE) out[i].inputs = Object.fromEntries(FEATURES.map((f, j) => [f, Math.round(i * (j + 1) * 1.37) / 100]));
  }
  return out;
}

/** Pushes every record through the channel as the recorder would, flushing in a loop; wall seconds and event-loop seconds spent preparing. */
async function drive(channel, sink, recs) {
  let prepareS = 0;
  const prepare = sink.prepare.bind(sink);
  sink.prepare = (b) => {
    const t0 = performance.now();
    const p = prepare(b);
    prepareS += (performance.now() - t0) / 1000;
    return p;
  };
  let pushS = 0;
  const t0 = performance.now();
  for (let i = 0; i < recs.length; i += BATCH * 5) {
    const p0 = performance.now();
    for (let k = i; k < Math.min(recs.length, i + BATCH * 5); k++) channel.queue.push(recs[k]);
    pushS += (performance.now() - p0) / 1000;
    if (!(await channel.flush())) throw new Error('a flush failed');
  }
  return { wallS: (performance.now() - t0) / 1000, prepareS, pushS };
}

const partitionBytes = async (client, table) =>
  Number((await client.query(`SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0)::bigint AS b FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = $1`, [table])).rows[0].b);

const natsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-bench-nats-'));
const port = await freePort();
const natsUrl = `nats://127.0.0.1:${port}`;
const nats = spawn(natsBin, ['-js', '-sd', natsDir, '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
const admin = new pg.Client({ connectionString: serverUrl });
await admin.connect();
const dbName = `mg_bench_stream_${randomBytes(4).toString('hex')}`;
await admin.query(`CREATE DATABASE ${dbName}`);
const url = new URL(serverUrl);
url.pathname = `/${dbName}`;
const client = new pg.Client({ connectionString: url.toString() });
let stream;
try {
  const ds = createDataSource(url.toString(), 2);
  await ds.initialize();
  await ds.runMigrations({ transaction: 'each' });
  await client.connect();
  for (let i = 0; i < 50; i++) {
    const nc = await connect({ servers: natsUrl, timeout: 200 }).catch(() => undefined);
    if (nc) {
      await nc.close();
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const db = new TelemetryDatabase(ds);
  const config = { telemetry: { retentionDays: 30, log: { kind: 'nats', servers: [natsUrl] } } };
  stream = new PredictionStream(config, createLogger('warn'));
  const scores = new PredictionScoreStore(db);
  const events = { written: () => {}, rejected: (n, err) => console.warn('rejected', n, err?.message), failed: (err) => console.warn('failed', err?.message) };
  const natsSink = streamPredictionSink({ publish: (e) => stream.publish(e), get maxPayload() { return stream.maxPayload; }, writeScores: (p, s) => scores.write(p, s) });
  const pgSink = postgresPredictionSink(db);

  // Warm both paths (connections, JIT) outside the measurement.
  await drive(new TelemetryChannel(new RecordQueue(100_000), BATCH, natsSink, events), natsSink, records(BATCH * 2));
  await drive(new TelemetryChannel(new EncodedRowQueue(100_000, BATCH, writePredictionRow), BATCH, pgSink, events), pgSink, records(BATCH * 2));
  await client.query('TRUNCATE predictions, prediction_scores');

  const recs = records(ROWS);
  const loop0 = stream.publishLoopSeconds;
  const natsRun = await drive(new TelemetryChannel(new RecordQueue(100_000), BATCH, natsSink, events), natsSink, recs);
  const pgRun = await drive(new TelemetryChannel(new EncodedRowQueue(100_000, BATCH, writePredictionRow), BATCH, pgSink, events), pgSink, recs);

  const nc = await connect({ servers: natsUrl });
  const info = await (await jetstreamManager(nc)).streams.info(PREDICTION_STREAM);
  await nc.close();
  const streamed = info.state.messages;
  const result = {
    rows: ROWS,
    batch: BATCH,
    input_sample_rate: SAMPLE,
    cpus: os.cpus().length,
    nats: {
      rows_per_s: Math.round(ROWS / natsRun.wallS),
      prepare_us_per_row: Math.round((natsRun.prepareS / ROWS) * 1e6 * 100) / 100,
      push_us_per_row: Math.round((natsRun.pushS / ROWS) * 1e6 * 100) / 100,
      publish_loop_us_per_row: Math.round(((stream.publishLoopSeconds - loop0) / ROWS) * 1e6 * 100) / 100,
      stream_messages: streamed,
      stream_bytes_per_row: Math.round(info.state.bytes / streamed),
      slim_bytes_per_row: Math.round((await partitionBytes(client, 'prediction_scores')) / ROWS),
    },
    postgres: {
      rows_per_s: Math.round(ROWS / pgRun.wallS),
      prepare_us_per_row: Math.round((pgRun.prepareS / ROWS) * 1e6 * 100) / 100,
      push_us_per_row: Math.round((pgRun.pushS / ROWS) * 1e6 * 100) / 100,
      bytes_per_row: Math.round((await partitionBytes(client, 'predictions')) / ROWS),
    },
  };
  console.log(`prediction log, ${ROWS} predictions in batches of ${BATCH} (${SAMPLE * 100}% with inputs), ${result.cpus} CPUs:`);
  console.log(`  NATS JetStream + slim rows: ${result.nats.rows_per_s} rows/s, ${result.nats.push_us_per_row} us/row queueing + ${result.nats.prepare_us_per_row} us/row preparing + ${result.nats.publish_loop_us_per_row} us/row publishing; stream ${result.nats.stream_bytes_per_row} B/row, prediction_scores ${result.nats.slim_bytes_per_row} B/row`);
  console.log(`  PostgreSQL predictions:     ${result.postgres.rows_per_s} rows/s, ${result.postgres.push_us_per_row} us/row queueing + ${result.postgres.prepare_us_per_row} us/row preparing; ${result.postgres.bytes_per_row} B/row`);
  console.log(`RESULT ${JSON.stringify(result)}`);
  await ds.destroy();
} finally {
  await stream?.close();
  await client.end().catch(() => {});
  await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  await admin.end();
  nats.kill('SIGKILL');
  fs.rmSync(natsDir, { recursive: true, force: true });
}
