// The benchmarks that run as their own scripts (each starts and stops what it
// measures, prints its table and writes JSON under bench/results/), run one
// after another so none shares the machine with another. `npm run bench`
// runs them after the scenarios of bench/run.mjs; BENCH_STANDALONE picks some
// (comma-separated names), `none` skips them.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const DIR = path.dirname(fileURLToPath(import.meta.url));
const ALL = ['v2-binary', 'grpc', 'monitoring-cost', 'prediction-log', 'performance-at-rate'];
const pick = process.env.BENCH_STANDALONE;
const chosen = pick === 'none' ? [] : pick ? pick.split(',').map((s) => s.trim()).filter(Boolean) : ALL;
let failed = 0;
for (const name of chosen) {
  if (!ALL.includes(name)) {
    console.error(`no standalone benchmark "${name}"; there are: ${ALL.join(', ')}`);
    process.exit(1);
  }
  console.log(`\n== ${name} (bench/standalone/${name}.mjs)`);
  const r = spawnSync(process.execPath, [path.join(DIR, `${name}.mjs`)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
