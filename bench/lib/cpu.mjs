// CPU accounting from /proc: how much the server, the load generator and
// everything else on the machine used during a measured window.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { S } from './settings.mjs';
import { log, sleep } from './log.mjs';

/** The external PostgreSQL database whose backends count as the server's CPU. */
export const cpuScope = { externalDbName: null };

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime+stime and parent of every process, and the machine's busy ticks. */
export function cpuSnapshot() {
  const procs = new Map();
  let dirs = [];
  try {
    dirs = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return null;
  }
  for (const d of dirs) {
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
      // An external PostgreSQL's backends for the bench database work for the server under test.
      let db = false;
      if (cpuScope.externalDbName && s.slice(s.indexOf('(') + 1, s.lastIndexOf(')')) === 'postgres') {
        db = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(` ${cpuScope.externalDbName} `);
      }
      procs.set(Number(d), { ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]), db });
    } catch {
      /* exited meanwhile */
    }
  }
  let busy = 0;
  let total = 0;
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    total = cpu.reduce((a, b) => a + b, 0);
    busy = total - cpu[3] - (cpu[4] ?? 0);
  } catch {
    /* not Linux */
  }
  return { at: performance.now(), procs, busy, total };
}

function descendants(snap, roots) {
  const set = new Set(roots.filter((p) => p !== undefined));
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, p] of snap.procs) {
      if (!set.has(pid) && set.has(p.ppid)) {
        set.add(pid);
        grew = true;
      }
    }
  }
  return set;
}

/** CPU use between two snapshots, in % of one core: server tree, load generator, others. */
export function cpuUse(a, b, serverPid, loadPid) {
  if (!a || !b) return null;
  const secs = (b.at - a.at) / 1000;
  const server = descendants(b, [serverPid]);
  const load = descendants(b, [loadPid]);
  const ours = descendants(b, [process.pid]);
  let s = 0;
  let l = 0;
  let other = 0;
  let db = 0;
  for (const [pid, p] of b.procs) {
    const d = p.ticks - (a.procs.get(pid)?.ticks ?? 0);
    if (d <= 0) continue;
    if (p.db) db += d;
    if (server.has(pid) || p.db) s += d;
    else if (load.has(pid)) l += d;
    else if (!ours.has(pid)) other += d;
  }
  const pct = (ticks) => Math.round((ticks / CLK_TCK / secs) * 1000) / 10;
  const machine = b.total > a.total ? Math.round(((b.busy - a.busy) / (b.total - a.total)) * os.cpus().length * 1000) / 10 : null;
  return {
    server_pct: pct(s),
    ...(cpuScope.externalDbName ? { external_db_pct: pct(db) } : {}),
    loadgen_pct: pct(l),
    others_pct: pct(other),
    machine_busy_pct: machine,
    seconds: Math.round(secs * 10) / 10,
  };
}

let quietSpent = 0;
/** Waits (bounded) until other processes on the machine use less than quietCpuPct of a core. */
export async function waitForQuiet(serverPid) {
  if (S.quietMaxWaitS <= 0) return null;
  const started = Date.now();
  let last = null;
  while (true) {
    const a = cpuSnapshot();
    await sleep(1000);
    const u = cpuUse(a, cpuSnapshot(), serverPid, undefined);
    if (!u) return null;
    last = u.others_pct;
    const waited = (Date.now() - started) / 1000;
    if (last < S.quietCpuPct) break;
    if (waited >= S.quietMaxWaitS || quietSpent + waited >= S.quietBudgetS) {
      log(`  other processes still use ${last}% of a core; measuring anyway`);
      break;
    }
    if (waited < 1.5) log(`  other processes use ${last}% of a core; waiting up to ${S.quietMaxWaitS}s for quiet`);
  }
  quietSpent += (Date.now() - started) / 1000;
  return last;
}

/**
 * CPU use while a load generator `rec` runs its measured part: sampled from
 * `edge` after its warm-up to `edge` before its end, so start and stop do not
 * count; null for runs under 2 s.
 */
export async function measuredCpu(rec, warmupS, seconds, serverPid) {
  if (seconds < 2) return null;
  const edge = Math.min(0.5, seconds / 10);
  await Promise.race([rec.done, sleep((warmupS + edge) * 1000)]);
  const a = cpuSnapshot();
  await Promise.race([rec.done, sleep((seconds - 2 * edge) * 1000)]);
  return cpuUse(a, cpuSnapshot(), serverPid, rec.pid);
}
