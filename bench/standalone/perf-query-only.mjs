// The query-only mode of performance-at-rate.mjs (BENCH_PERF_DATABASE): the
// span and day queries measured again by the current build on a database an
// earlier run kept, which is left as it was.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dbUrlOf, pg, queryOnly, ROOT } from './perf-query-lib.mjs';

export async function queryOnlyRun({ database, serverUrl, token, model, bars }) {
  const env = process.env;
  if (!/^[A-Za-z0-9_]+$/.test(database)) throw new Error(`BENCH_PERF_DATABASE must be a plain database name, not ${database}`);
  const result = {
    kind: 'modelgate-performance-at-rate',
    mode: 'query-only',
    started_at: new Date().toISOString(),
    bars,
    machine: { cpus: os.cpus().length, loadavg_at_start: os.loadavg() },
  };
  try {
    const probe = new pg.Client({ connectionString: serverUrl });
    await probe.connect();
    const exists = (await probe.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 1;
    await probe.end();
    if (!exists) throw new Error(`no database ${database} on ${new URL(serverUrl).host}`);
    const cpuProfDir = env.BENCH_CPU_PROF === '1' ? fs.mkdtempSync(path.join(os.tmpdir(), 'mg-cpuprof-')) : undefined;
    const q = await queryOnly({ dbUrl: dbUrlOf(serverUrl, database), model, token, repeats: Number(env.BENCH_PERF_QUERY_REPEATS || 5), cpuProfDir, firstPredictions: Number(env.BENCH_PERF_FIRST_PREDICTIONS || 0) });
    delete q.measured.bodies;
    result.query_only = {
      note: `a query-only re-measure of database ${database} (kept by an earlier run), by the build in ${path.join(ROOT, 'dist')}: no ingestion, so no labels/s, gauge freshness or memory figures`,
      database,
      span: { from: q.span.from.toISOString(), to: q.span.to.toISOString(), first_predictions_asked: Number(env.BENCH_PERF_FIRST_PREDICTIONS || 0) || null },
      predictions: q.span.predictions,
      labels: q.span.labels,
      series: { version: q.span.version, variant: q.span.variant },
    };
    result.volumes = [{ predictions: q.span.predictions, labels: q.span.labels, ...q.measured }];
    if (q.profile) result.profile = q.profile;
    const v = result.volumes[0];
    result.checks = {
      span_query_under_500ms: v.span_query.ms < bars.span_ms,
      span_auc_exact: Boolean(v.span_query.auc_matches),
      day_query_under_2s: v.day_query.ms < bars.day_ms,
    };
    result.passed = Object.values(result.checks).every(Boolean);
    console.log(`checks: ${JSON.stringify(result.checks)}`);
  } catch (err) {
    result.passed = false;
    result.error = String(err.stack ?? err);
    console.error(`performance-at-rate (query-only) FAILED: ${result.error}`);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
  fs.writeFileSync(path.join(ROOT, `bench/results/performance-at-rate-query-only-${stamp}.json`), JSON.stringify(result, null, 2) + '\n');
  console.log(`RESULT ${JSON.stringify(result)}`);
  return result.passed ? 0 : 1;
}
