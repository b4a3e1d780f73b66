// Runs one load generator process (wrk, autocannon or the open-loop
// paced-load) and turns its output into one shape: rps, latencies, errors, CPU.
import path from 'node:path';
import { BENCH, S } from './settings.mjs';
import { BenchError, sleep } from './log.mjs';
import { spawnChild, stopChild, tail } from './children.mjs';
import { measuredCpu } from './cpu.mjs';

function parseTagged(rec, tag) {
  const line = rec.out.split('\n').find((l) => l.startsWith(`${tag} `));
  if (!line) throw new BenchError(`${rec.name} printed no result (exit ${rec.code ?? rec.signal}):\n${tail(rec, 20)}`);
  return JSON.parse(line.slice(tag.length + 1));
}

/** BENCH_LOADGEN_CPUS (`taskset -c` list) pins the load generator away from the server's cores. */
function pinned(name, cmd, args, opts) {
  return S.loadgenCpus ? spawnChild(name, 'taskset', ['-c', S.loadgenCpus, cmd, ...args], opts) : spawnChild(name, cmd, args, opts);
}

function spawnLoad(kind, { url, bodiesFile, auth, seconds, rate, warmupS, connections = S.connections }) {
  if (kind === 'overload') {
    return pinned('overload-load', process.execPath, [path.join(BENCH, 'overload-load.mjs'), JSON.stringify({ url, connections, durationS: seconds, warmupS, bodiesFile, auth })]);
  }
  if (kind === 'wrk') {
    return pinned('wrk', 'wrk', ['-t1', `-c${S.connections}`, `-d${Math.max(1, Math.round(seconds))}s`, '--timeout', '5s', '-s', path.join(BENCH, 'wrk-post.lua'), url], {
      env: { ...process.env, WRK_BODIES: bodiesFile, WRK_AUTH: auth ?? '' },
    });
  }
  if (kind === 'autocannon') {
    return pinned('autocannon', process.execPath, [path.join(BENCH, 'autocannon-load.mjs'), JSON.stringify({ url, connections: S.connections, durationS: seconds, bodiesFile, auth })]);
  }
  if (kind === 'paced') {
    return spawnChild('paced-load', process.execPath, [
      path.join(BENCH, 'paced-load.mjs'),
      JSON.stringify({ url, connections: S.connections, maxConnections: S.pacedMaxConnections, durationS: seconds, warmupS, rate, bodiesFile, auth }),
    ]);
  }
  throw new BenchError(`unknown load generator "${kind}" (BENCH_LOADGEN: wrk or autocannon)`);
}

const latencies = (l) => ({ p50: l.p50, p90: l.p90, p99: l.p99, p999: l.p999, max: l.max });

function parseResult(kind, rec) {
  if (kind === 'overload') {
    const r = parseTagged(rec, 'OVERLOADJSON');
    const a = r.admitted_ms;
    const non2xx = Object.entries(r.statuses).reduce((n, [st, c]) => n + (st.startsWith('2') ? 0 : c), 0);
    return { tool: 'overload-load (closed loop)', rps: r.admitted_rps, requests: a.count + r.shed_ms.count, non2xx, errors: r.errors, ...latencies(a), raw: r };
  }
  if (kind === 'wrk') {
    const r = parseTagged(rec, 'WRKJSON');
    const non2xx = r.errors.status;
    const ms = (us) => Math.round(us) / 1000;
    const l = r.latency_us;
    return {
      tool: 'wrk',
      rps: Math.round(((r.requests - non2xx) / (r.duration_us / 1e6)) * 10) / 10,
      requests: r.requests,
      non2xx,
      errors: r.errors.connect + r.errors.read + r.errors.write + r.errors.timeout,
      ...latencies({ p50: ms(l.p50), p90: ms(l.p90), p99: ms(l.p99), p999: ms(l.p999), max: ms(l.max) }),
      raw: r,
    };
  }
  if (kind === 'autocannon') {
    const r = parseTagged(rec, 'ACJSON');
    return { tool: 'autocannon', rps: Math.round((r.ok / r.duration_s) * 10) / 10, requests: r.requests, non2xx: r.non2xx, errors: r.errors + r.timeouts, ...latencies(r.latency_ms), raw: r };
  }
  const r = parseTagged(rec, 'PACEDJSON');
  return {
    tool: 'paced-load (open loop)',
    rps: Math.round((r.ok / r.duration_s) * 10) / 10,
    target_rate: r.target_rate,
    requests: r.completed,
    non2xx: r.non2xx,
    errors: r.errors,
    unfinished: r.unsent_at_end + r.in_flight_at_end,
    ...latencies(r.latency_ms),
    raw: r,
  };
}

/**
 * Runs a load generator for `seconds` (after `warmupS` for the paced one),
 * sampling CPU use inside the measured part.
 */
export async function runLoad(kind, { url, bodiesFile, auth, seconds, rate, warmupS = 0, connections }, serverPid) {
  const rec = spawnLoad(kind, { url, bodiesFile, auth, seconds, rate, warmupS, connections });
  const total = warmupS + seconds;
  // CPU use over the measured part only (past the paced warm-up; off the edges).
  const cpu = await measuredCpu(rec, warmupS, seconds, serverPid);
  const timeout = sleep((total + 30) * 1000).then(() => 'timeout');
  if ((await Promise.race([rec.done, timeout])) === 'timeout') {
    await stopChild(rec, 1000);
    throw new BenchError(`${rec.name} did not finish within ${total + 30}s`);
  }
  return { ...parseResult(kind, rec), cpu };
}
