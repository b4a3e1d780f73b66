// h2load (Debian nghttp2-client) as a load generator: one closed-loop run
// of a fixed request body (gRPC over h2c, or HTTP/1.1), pinned with taskset,
// and its output turned into the shape of lib/load.mjs (rps, latencies,
// errors, CPU). Latency percentiles come from h2load's per-request log.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BenchError, sleep } from './log.mjs';
import { spawnChild, stopChild, tail } from './children.mjs';
import { measuredCpu } from './cpu.mjs';

export const H2LOAD = process.env.BENCH_H2LOAD ?? '/usr/bin/h2load';

/** Why h2load cannot be used here, or null. */
export function h2loadMissing() {
  if (!fs.existsSync(H2LOAD)) return `${H2LOAD} is not installed (apt-get install nghttp2-client)`;
  try {
    execFileSync(H2LOAD, ['--version'], { stdio: 'ignore' });
    return null;
  } catch (err) {
    return `${H2LOAD} --version failed: ${err.message}`;
  }
}

function hasTaskset() {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Where the server and the load generator run: on a machine of n >= 2 cores
 * the load generator gets the last core to itself and the server the others;
 * on one core (or without taskset) nothing is pinned. BENCH_GRPC_SERVER_CPUS
 * and BENCH_GRPC_LOADGEN_CPUS (`taskset -c` lists) override it.
 */
export function pinningPlan() {
  const n = os.cpus().length;
  const env = process.env;
  if (env.BENCH_GRPC_SERVER_CPUS || env.BENCH_GRPC_LOADGEN_CPUS) {
    return { server: env.BENCH_GRPC_SERVER_CPUS || null, loadgen: env.BENCH_GRPC_LOADGEN_CPUS || null, note: 'pinning as BENCH_GRPC_*_CPUS say' };
  }
  if (n < 2 || !hasTaskset()) return { server: null, loadgen: null, note: `not pinned (${n} cpu${n === 1 ? '' : 's'}${n >= 2 ? ', no taskset' : ''}): load generator and server share the machine` };
  const server = n === 2 ? '0' : `0-${n - 2}`;
  const loadgen = String(n - 1);
  return { server, loadgen, note: `server (and its children) on cpu ${server}, h2load on cpu ${loadgen} of ${n}` };
}

/** The pids of `pid` and every descendant, from /proc. */
function tree(pid) {
  const parent = new Map();
  for (const d of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const s = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      parent.set(Number(d), Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      /* exited meanwhile */
    }
  }
  const out = new Set([pid]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [p, pp] of parent) {
      if (!out.has(p) && out.has(pp)) {
        out.add(p);
        grew = true;
      }
    }
  }
  return [...out];
}

/** Pins a running server, every thread of it and of its children (an embedded PostgreSQL), to `cpus`. */
export function pinServer(pid, cpus) {
  if (!cpus) return [];
  const pids = tree(pid);
  for (const p of pids) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', cpus, String(p)], { stdio: 'ignore' });
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

/** A gRPC message with its 5-byte length prefix (uncompressed), as it goes on the wire. */
export function grpcFrame(message) {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(message.length, 1);
  return Buffer.concat([head, message]);
}

const pct = (sorted, p) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : null);

function latencies(logFile) {
  let text = '';
  try {
    text = fs.readFileSync(logFile, 'utf8');
  } catch {
    return { p50: null, p90: null, p99: null, p999: null, max: null, logged: 0 };
  }
  const us = [];
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    if (f.length >= 3) us.push(Number(f[2]));
  }
  us.sort((a, b) => a - b);
  const ms = (x) => (x === null ? null : Math.round(x) / 1000);
  return { p50: ms(pct(us, 50)), p90: ms(pct(us, 90)), p99: ms(pct(us, 99)), p999: ms(pct(us, 99.9)), max: ms(us.at(-1) ?? null), logged: us.length };
}

function parse(out) {
  const num = (re) => {
    const m = re.exec(out);
    return m ? Number(m[1]) : null;
  };
  const r = /requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/.exec(out);
  const st = /status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/.exec(out);
  const secs = /finished in ([\d.]+)(m?s)/.exec(out);
  if (!r || !st || !secs) return null;
  const finishedS = Number(secs[1]) / (secs[2] === 'ms' ? 1000 : 1);
  const [total, started, done, succeeded, failed, errored, timeout] = r.slice(1).map(Number);
  const s2xx = Number(st[1]);
  return { finished_s: finishedS, total, started, done, succeeded, failed, errored, timeout, status_2xx: s2xx, status_other: Number(st[2]) + Number(st[3]) + Number(st[4]), reported_rps: num(/finished in [\d.]+m?s, ([\d.]+) req\/s/) };
}

/**
 * One h2load run: `warmupS` unmeasured, then `seconds` measured, `connections`
 * connections of `streams` concurrent streams each (HTTP/1.1 with `h1`: one
 * request in flight per connection). `headers` is a list of "name: value".
 * Answers the lib/load.mjs shape; `ok` counts the 2xx answers h2load saw
 * (for gRPC that is the HTTP status, not grpc-status: check that apart).
 */
export async function runH2load({ url, dataFile, headers, connections, streams = 1, h1 = false, seconds, warmupS = 0, cpus = null, serverPid, workDir }) {
  const logFile = path.join(workDir, `h2load-${process.pid}-${Date.now()}.log`);
  const args = ['-t', '1', '-c', String(connections), '-m', String(h1 ? 1 : streams), '-D', String(seconds), '-d', dataFile, '--log-file', logFile];
  if (warmupS > 0) args.push('--warm-up-time', String(warmupS));
  if (h1) args.push('--h1');
  for (const h of headers) args.push('-H', h);
  args.push(url);
  const rec = cpus ? spawnChild('h2load', 'taskset', ['-c', cpus, H2LOAD, ...args]) : spawnChild('h2load', H2LOAD, args);
  // CPU use over the measured part only (h2load starts measuring after its warm-up).
  const cpu = await measuredCpu(rec, warmupS, seconds, serverPid);
  const total = warmupS + seconds;
  if ((await Promise.race([rec.done, sleep((total + 30) * 1000).then(() => 'timeout')])) === 'timeout') {
    await stopChild(rec, 1000);
    throw new BenchError(`h2load did not finish within ${total + 30}s`);
  }
  const r = parse(rec.out);
  if (!r) throw new BenchError(`h2load printed no result (exit ${rec.code ?? rec.signal}):\n${tail(rec, 20)}`);
  const lat = latencies(logFile);
  fs.rmSync(logFile, { force: true });
  // h2load's "finished in" includes the warm-up; its counts and req/s cover the measured `seconds` only.
  // A stream that spans the end of the warm-up is counted as succeeded without a status code
  // (its headers came during the warm-up), so the successes are h2load's "succeeded", and
  // non2xx is the 3xx/4xx/5xx it saw; for gRPC the caller checks grpc-status on the server's side.
  return {
    tool: `h2load${h1 ? ' (HTTP/1.1)' : ' (h2c)'}${cpus ? ` on cpu ${cpus}` : ''}`,
    rps: Math.round((r.succeeded / seconds) * 10) / 10,
    ok: r.succeeded,
    requests: r.done,
    non2xx: r.status_other,
    errors: r.failed + r.errored + r.timeout,
    ...lat,
    cpu,
    raw: { ...r, args: args.map((a) => (a.startsWith('authorization:') ? 'authorization: (redacted)' : a)) },
  };
}
