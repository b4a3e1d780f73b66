// The summary table and the machine facts written with the results.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from './settings.mjs';
import { fmtInt, fmtMs } from './log.mjs';
import { combine } from './measure.mjs';

/** A row comparing `label`'s req/s with `baseLabel`'s; PASS when the ratio reaches `bar`. */
export function ratioRow(rows, scenario, server, label, baseLabel, bar, note) {
  const c = combine(label);
  if (!c) return;
  const b = baseLabel ? combine(baseLabel) : null;
  const ratio = b && c.rps && b.rps ? Math.round((c.rps / b.rps) * 1000) / 1000 : null;
  const ok = c.non2xx === 0 && c.errors === 0;
  let result = 'info';
  if (!ok) result = 'ERROR';
  else if (bar !== undefined && ratio !== null) result = ratio >= bar ? 'PASS' : 'FAIL';
  if (c.noisy || b?.noisy) result += '*';
  const against = b ? { label: baseLabel, rps: b.rps, p99: b.p99, runs: b.runs, quiet_runs: b.quiet_runs } : null;
  rows.push({ ...c, scenario, server, ratio, bar: bar !== undefined ? `>= ${bar.toFixed(2)}` : '', result, note, against });
}

/**
 * A bar is judged on medians of at least `min` rounds: with fewer quiet runs
 * (of the row or of the row it is compared with) its verdict is shown in
 * lower case with the count, e.g. "pass (1 of 5 rounds)".
 */
export function requireRounds(row, min) {
  if (!row || !/^(PASS|FAIL)/.test(row.result)) return;
  const n = Math.min(row.quiet_runs ?? 0, row.against?.quiet_runs ?? Infinity);
  if (n < min) row.result = `${row.result.replace(/^PASS|^FAIL/, (x) => x.toLowerCase())} (${n} of ${min} rounds)`;
}

/** A row with no load of its own: a figure and, when `pass` is boolean, its verdict. */
export function figureRow(rows, scenario, server, value, bar, pass, extra = {}) {
  rows.push({ scenario, server, rps: null, p50: null, p99: null, ratio: value, bar, result: pass === undefined ? 'info' : pass ? 'PASS' : 'FAIL', non2xx: 0, errors: 0, ...extra });
}

export function printTable(rows) {
  const cols = [
    ['scenario', (r) => r.scenario, 'l'],
    ['server', (r) => r.server, 'l'],
    ['req/s', (r) => fmtInt(r.rps), 'r'],
    ['p50 ms', (r) => fmtMs(r.p50), 'r'],
    ['p99 ms', (r) => fmtMs(r.p99), 'r'],
    ['ratio', (r) => (r.ratio === null || r.ratio === undefined ? '' : r.ratio.toFixed(r.ratio >= 10 ? 1 : 3)), 'r'],
    ['bar', (r) => r.bar ?? '', 'l'],
    ['result', (r) => r.result ?? '', 'l'],
    ['rows/inf', (r) => (r.rows_per_inference ? r.rows_per_inference.toFixed(2) : ''), 'r'],
    ['non2xx/err', (r) => (r.rps === null ? '' : `${r.non2xx}/${r.errors}`), 'r'],
    ['runs', (r) => (r.runs ? String(r.runs) : ''), 'r'],
    ['spread', (r) => (r.spread_pct === null || r.spread_pct === undefined ? '' : `${r.spread_pct.toFixed(0)}%`), 'r'],
    ['others cpu%', (r) => (r.others_pct === null || r.others_pct === undefined ? '' : `${r.others_pct.toFixed(0)}${r.noisy ? '!' : ''}`), 'r'],
  ];
  const cells = rows.map((r) => cols.map(([, f]) => String(f(r))));
  const widths = cols.map(([h], i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (vals) => vals.map((v, i) => (cols[i][2] === 'r' ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ');
  return [line(cols.map(([h]) => h)), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

export function machineInfo() {
  const git = (args) => {
    try {
      return execFileSync('git', args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    } catch {
      return null;
    }
  };
  let wrkVersion = null;
  try {
    wrkVersion = execFileSync('sh', ['-c', 'wrk --version 2>&1 | head -1']).toString().trim();
  } catch {
    /* none */
  }
  let ort = null;
  try {
    ort = JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules/onnxruntime-node/package.json'), 'utf8')).version;
  } catch {
    /* none */
  }
  const cpus = os.cpus();
  return {
    hostname: os.hostname(),
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    cpus: cpus.length,
    /** CPUs this process may run on (its affinity), which taskset can make fewer than `cpus`. */
    cpus_available: os.availableParallelism?.() ?? cpus.length,
    cpu_model: cpus[0]?.model ?? null,
    memory_gib: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadavg_at_start: os.loadavg().map((x) => Math.round(x * 100) / 100),
    node: process.version,
    onnxruntime_node: ort,
    wrk: wrkVersion,
    git_commit: git(['rev-parse', 'HEAD']),
    git_dirty: (git(['status', '--porcelain', '--', 'src', 'package.json']) ?? '') !== '',
  };
}
