// Paths and the settings every scenario reads, from BENCH_* variables and
// the command line (`npm run bench -- --only upload,scale`).
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BENCH = path.join(ROOT, 'bench');
export const RESULTS = path.join(BENCH, 'results');
export const MODEL_FILE = path.join(ROOT, 'test/fixtures/breast_cancer_xgb.onnx');
export const CSV_FILE = path.join(ROOT, 'test/fixtures/breast_cancer_xgb.test.csv');
export const EXPECTED_FILE = path.join(ROOT, 'test/fixtures/breast_cancer_xgb.expected.json');
/** The model every serving scenario loads. */
export const MODEL = 'bc';

const env = process.env;
export const QUICK = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';

export function numEnv(name, dflt) {
  const v = env[name];
  if (v === undefined || v === '') return dflt;
  const x = Number(v);
  if (!Number.isFinite(x) || x < 0) throw new Error(`${name} must be a non-negative number, not "${v}"`);
  return x;
}

export function hasWrk() {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' });
    return true;
  } catch (err) {
    // wrk --version exits 1 after printing its banner; ENOENT means absent.
    return err.code !== 'ENOENT';
  }
}

/** `--only a,b` (or `--only=a,b`) from argv, else BENCH_SCENARIOS, else null (the default set). */
function scenarioFilter(argv) {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--only') return argv[i + 1] ?? '';
    if (argv[i].startsWith('--only=')) return argv[i].slice('--only='.length);
  }
  return env.BENCH_SCENARIOS ?? null;
}
const only = scenarioFilter(process.argv.slice(2));

export const S = {
  quick: QUICK,
  warmupS: numEnv('BENCH_WARMUP_S', QUICK ? 1 : 3),
  durationS: numEnv('BENCH_DURATION_S', QUICK ? 3 : 12),
  connections: numEnv('BENCH_CONNECTIONS', 50),
  /** Connections the open-loop generator may grow to when a request is due and every connection is busy (its pool's cap). */
  pacedMaxConnections: numEnv('BENCH_PACED_MAX_CONNECTIONS', 4 * numEnv('BENCH_CONNECTIONS', 50)),
  rows: numEnv('BENCH_ROWS', 32),
  ratePct: numEnv('BENCH_RATE_PCT', 80),
  // The REST bars (scenarios 1 and 2) are judged on medians of at least 5 interleaved rounds.
  rounds: Math.max(1, Math.floor(numEnv('BENCH_ROUNDS', QUICK ? 1 : 5))),
  batchWaits: (env.BENCH_BATCH_WAITS ?? '0,1').split(',').filter((s) => s.trim() !== '').map(Number),
  /** Scenario names or numbers asked for; null = every scenario whose `byDefault` is true. */
  only: only === null ? null : only.split(',').map((s) => s.trim()).filter(Boolean),
  loadgen: env.BENCH_LOADGEN ?? (hasWrk() ? 'wrk' : 'autocannon'),
  /** CPUs for the closed-loop load generator (`taskset -c`), e.g. "1"; empty = not pinned. */
  loadgenCpus: env.BENCH_LOADGEN_CPUS ?? '',
  // Scenario 1 again with the other closed-loop tool, when there is one: the
  // two load the servers differently and the ratio moves with the tool.
  crosscheck: env.BENCH_CROSSCHECK === '1',
  quietMaxWaitS: numEnv('BENCH_QUIET_MAX_WAIT_S', QUICK ? 3 : 10),
  quietBudgetS: numEnv('BENCH_QUIET_BUDGET_S', 60),
  quietCpuPct: numEnv('BENCH_QUIET_CPU_PCT', 25),
  noisyCpuPct: numEnv('BENCH_NOISY_CPU_PCT', 50),
  retries: Math.floor(numEnv('BENCH_RETRIES', QUICK ? 0 : 4)),
  keep: env.BENCH_KEEP === '1',
  strict: env.BENCH_STRICT === '1',
  startTimeoutS: numEnv('BENCH_START_TIMEOUT_S', 90),
};

/** The other closed-loop tool for the cross-check of scenario 1, if any. */
export const CROSS = !S.crosscheck ? null : S.loadgen === 'wrk' ? 'autocannon' : hasWrk() ? 'wrk' : null;
