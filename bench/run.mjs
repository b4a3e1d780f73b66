// `npm run bench`: Modelgate's benchmarks. See bench/README.md.
//
// This file is the harness only: it prepares the workload and the database,
// runs each selected scenario of bench/scenarios/ (one file each) for every
// round, then prints one table and writes the JSON results. Servers and load
// generators run as separate processes on loopback; only the server under
// test and its load generator run at any time; every child is stopped on
// exit, on errors and on Ctrl-C.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CROSS, MODEL_FILE, QUICK, RESULTS, ROOT, S } from './lib/settings.mjs';
import { BenchError, log, stamp, t0 } from './lib/log.mjs';
import { cleanup, onCleanup, state } from './lib/children.mjs';
import { combine, measurements, paced, peak, rateFor } from './lib/measure.mjs';
import { machineInfo, printTable } from './lib/report.mjs';
import { loadScenarios, select } from './lib/scenarios.mjs';
import { loadModelgateConfig, prepareDatabase } from './lib/servers.mjs';
import { prepareWorkload } from './lib/workload.mjs';

const paths = { logDir: null };

async function main() {
  const scenarios = select(await loadScenarios(), S.only);
  fs.mkdirSync(RESULTS, { recursive: true });
  const logDir = path.join(RESULTS, `logs-${stamp}`);
  fs.mkdirSync(logDir, { recursive: true });
  paths.logDir = logDir;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-bench-'));
  // As root, the embedded PostgreSQL runs as the `postgres` user, which must reach the cluster.
  fs.chmodSync(workDir, 0o755);
  onCleanup(() => (S.keep ? log(`kept ${workDir}`) : fs.rmSync(workDir, { recursive: true, force: true })));
  const machine = machineInfo();
  log(`scenarios ${scenarios.map((s) => s.name).join(', ')}; node ${machine.node}, ${machine.cpus} cpus, loadgen ${S.loadgen}, ${S.warmupS}s warm-up + ${S.durationS}s per run, ${S.connections} connections, ${S.rounds} round(s)${QUICK ? ' (quick)' : ''}`);
  if (machine.cpus > 0 && os.loadavg()[0] > 0.5) log(`note: load average ${os.loadavg()[0].toFixed(2)} at start; other processes share this machine`);

  const givenDb = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL || process.env.TEST_DATABASE_URL;
  /** What every scenario gets: settings, workload, database, helpers. */
  const h = {
    S,
    workDir,
    logDir,
    givenDb,
    work: prepareWorkload(workDir),
    config: await loadModelgateConfig(),
    db: await prepareDatabase(path.join(workDir, 'data'), givenDb),
    selected: (name) => scenarios.some((s) => s.name === name),
    peak: (server, target, label, tool) => peak(h, server, target, label, tool),
    paced: (server, target, label, rate, opts) => paced(h, server, target, label, rate, opts),
    combine,
    rateFor,
    /** Free-form facts a scenario reports (memory, timings), written to the JSON under its name. */
    facts: {},
  };

  const started = Date.now();
  const errors = [];
  for (let round = 1; round <= S.rounds; round++) {
    if (S.rounds > 1) log(`round ${round} of ${S.rounds}`);
    for (const s of scenarios) {
      if ((s.once && round > 1) || (s.lastRound && round < S.rounds) || errors.some((e) => e.scenario === s.name)) continue;
      try {
        await s.run(h, { round });
      } catch (err) {
        if (state.interrupted) throw err;
        // One scenario failing still lets the others measure.
        log(`scenario ${s.name} FAILED: ${err instanceof BenchError ? err.message : err.stack}`);
        errors.push({ scenario: s.name, error: String(err.message) });
      }
    }
  }
  const rows = scenarios.flatMap((s) => s.rows(h));
  for (const e of errors) rows.push({ scenario: e.scenario, server: `failed: ${e.error.split('\n')[0].slice(0, 100)}`, rps: null, result: 'ERROR', non2xx: 0, errors: 1 });
  const table = printTable(rows);
  const failed = rows.filter((r) => /^(FAIL|ERROR)/.test(r.result));
  // A lower-case verdict: a bar measured on fewer rounds than it is judged on (its verdict is not one).
  const unjudged = rows.filter((r) => /^(pass|fail)/.test(r.result ?? ''));
  const took = Math.round((Date.now() - t0) / 1000);
  const keepLogs = S.keep || failed.some((r) => r.result.startsWith('ERROR'));
  const settings = { ...S, scenarios: scenarios.map((s) => s.name), crosscheck_tool: CROSS, modelgate_defaults: h.config.defaults, database: h.db.databaseUrl ? 'external' : 'embedded' };

  const result = {
    kind: 'modelgate-serving-bench',
    started_at: new Date(t0).toISOString(),
    took_s: took,
    measuring_s: Math.round((Date.now() - started) / 1000),
    machine: { ...machine, loadavg_at_end: os.loadavg().map((x) => Math.round(x * 100) / 100) },
    settings,
    rounds: S.rounds,
    // The table as printed, and every row with a bar: the figures a note quotes.
    table: table.split('\n'),
    // `against`: the anchor row a ratio is taken of (its median req/s and p99), so a bar can be read without the summary.
    bars: rows.filter((r) => r.bar).map((r) => ({ scenario: r.scenario, server: r.server, value: r.ratio, bar: r.bar, result: r.result, runs: r.runs ?? null, quiet_runs: r.quiet_runs ?? null, rps: r.rps ?? null, rps_each: r.rps_each ?? null, p99: r.p99 ?? null, p99_each: r.p99_each ?? null, against: r.against ?? null, note: r.note ?? null })),
    workload: { model: path.relative(ROOT, MODEL_FILE), rows_cycled: h.work.rows.length, batch_size: 1, row_indexes: h.work.rows.map((r) => r.index) },
    summary: rows,
    facts: h.facts,
    errors,
    passed: failed.length === 0,
    failed: failed.map((r) => `${r.scenario}: ${r.server}`),
    not_judged: unjudged.map((r) => `${r.scenario}: ${r.server}: ${r.result}`),
    measurements,
    logs: keepLogs ? path.relative(ROOT, logDir) : null,
  };
  const file = path.join(RESULTS, `serving-${stamp}.json`);
  fs.writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  fs.writeFileSync(path.join(RESULTS, 'latest.json'), JSON.stringify(result, null, 2) + '\n');

  const others = measurements.map((m) => m.cpu?.others_pct).filter((x) => typeof x === 'number');
  process.stdout.write(
    `\nModelgate bench: ${machine.cpus} cpus, node ${machine.node}, commit ${machine.git_commit?.slice(0, 10) ?? '?'}${machine.git_dirty ? ' (dirty)' : ''}, ` +
      `${S.connections} connections, batch size 1, ${h.work.rows.length} rows cycled, load by ${S.loadgen} (peaks${CROSS ? `; ${CROSS} as a cross-check` : ''}) and paced-load (fixed rate), ` +
      `${S.warmupS}s warm-up + ${S.durationS}s measured${S.rounds > 1 ? `, ${S.rounds} rounds` : ''}${QUICK ? ', QUICK' : ''}\n\n${table}\n\n` +
      `Each row is the median of its runs (${S.rounds} round(s), interleaved; scenario 2's fixed-rate rounds after the last peaks), leaving out runs that shared the machine; spread = (max - min) / median req/s.\n` +
      `others cpu% = CPU used by processes outside this bench during the measured window, % of one core (max ${machine.cpus * 100}); ! = above ${S.noisyCpuPct}%.` +
      (others.length && Math.max(...others) > S.quietCpuPct ? ` Some runs shared the machine (up to ${Math.max(...others)}%): their numbers are low.` : '') +
      (rows.some((r) => r.result?.endsWith('*')) ? `\n* = every run of this row (or of the row it is compared with) shared the machine; shown is its best run: not reliable, run again on a quiet machine.` : '') +
      `\n${failed.length ? `${failed.length} check(s) failed: ${result.failed.join('; ')}` : unjudged.length ? 'No judged bar failed.' : 'All bars passed.'}` +
      `${unjudged.length ? `\n${unjudged.length} bar(s) not judged, measured on fewer rounds than they need (lower-case verdicts): ${unjudged.map((r) => `${r.scenario}: ${r.server}`).join('; ')}` : ''}\n` +
      `Took ${took}s. Wrote ${path.relative(ROOT, file)} and bench/results/latest.json${keepLogs ? `; server logs in ${path.relative(ROOT, logDir)}/` : ''}\n`,
  );
  // Logs of a run that went fine are not needed.
  if (!keepLogs) fs.rmSync(logDir, { recursive: true, force: true });
  return failed.some((r) => r.result.startsWith('ERROR')) ? 1 : S.strict && failed.length ? 2 : 0;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  if (state.interrupted) process.stderr.write('\nbench interrupted\n');
  else process.stderr.write(`\nbench FAILED: ${err instanceof BenchError ? err.message : err.stack}\n`);
  if (paths.logDir) process.stderr.write(`server logs: ${path.relative(ROOT, paths.logDir)}/\n`);
  if (measurements.length) {
    // What was measured before the failure, marked as failed.
    const partial = { kind: 'modelgate-serving-bench', started_at: new Date(t0).toISOString(), passed: false, error: state.interrupted ? 'interrupted' : String(err.message), measurements };
    try {
      fs.writeFileSync(path.join(RESULTS, `serving-${stamp}.json`), JSON.stringify(partial, null, 2) + '\n');
      fs.writeFileSync(path.join(RESULTS, 'latest.json'), JSON.stringify(partial, null, 2) + '\n');
      process.stderr.write(`partial results: bench/results/serving-${stamp}.json\n`);
    } catch {
      /* nothing more to do */
    }
  }
  code = 1;
} finally {
  await cleanup();
}
// The standalone benchmarks (binary V2, gRPC, monitoring cost, prediction log) run after a full run,
// one at a time; `--only` / BENCH_SCENARIOS runs just the scenarios named.
if (code !== 1 && !S.only && process.env.BENCH_STANDALONE !== 'none') {
  const { spawnSync } = await import('node:child_process');
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bench/standalone/run-all.mjs')], { stdio: 'inherit' });
  if (r.status !== 0) code = 1;
}
process.exit(code);
