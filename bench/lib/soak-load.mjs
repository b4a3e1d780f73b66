// The soak's load: a paced request loop in this process (keep-alive
// connections, a token bucket at the target rate), recording per interval
// what answered, how fast, and what was shed. Not a peak measurement: the
// soak holds a steady rate and watches what changes over time.
import fs from 'node:fs';
import http from 'node:http';

/** Per-interval counters; `take()` returns and resets them. */
export class IntervalStats {
  constructor() {
    this.reset();
  }
  reset() {
    this.ok = 0;
    this.errors = 0;
    this.shed = 0;
    this.byStatus = {};
    this.latencies = [];
  }
  record(status, ms) {
    if (status >= 200 && status < 300) this.ok++;
    else if (status === 503 || status === 429) this.shed++;
    else this.errors++;
    if (status !== 200) this.byStatus[status] = (this.byStatus[status] ?? 0) + 1;
    this.latencies.push(ms);
  }
  take() {
    const l = this.latencies.sort((a, b) => a - b);
    const q = (p) => (l.length ? l[Math.min(l.length - 1, Math.floor(p * l.length))] : null);
    const out = { ok: this.ok, errors: this.errors, shed: this.shed, by_status: this.byStatus, p50_ms: q(0.5), p99_ms: q(0.99), max_ms: l.length ? l[l.length - 1] : null };
    this.reset();
    return out;
  }
}

/** One JSON POST on a keep-alive agent; resolves with status, body and latency in ms. */
export function post(agent, base, path, body, headers) {
  const data = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const url = new URL(path, base);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const req = http.request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': data.length, ...headers } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8'), ms: performance.now() - t0 }));
        res.on('error', () => resolve({ status: 0, text: '', ms: performance.now() - t0 }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ status: 0, text: '', ms: performance.now() - t0 }));
    req.end(data);
  });
}

/**
 * Sends `next()`'s requests at `rate` per second over `connections` workers
 * until `until()` says stop. `onAnswer(request, answer)` sees each answer
 * (the soak collects prediction ids there for its labels).
 */
export async function pacedLoop({ base, rate, connections, next, onAnswer, until, stats }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const intervalMs = 1000 / rate;
  let nextAt = performance.now();
  const worker = async () => {
    while (!until()) {
      const now = performance.now();
      // The bucket: each send claims the next slot; a worker that is early waits for it.
      const slot = nextAt;
      nextAt = Math.max(nextAt + intervalMs, now - 1000);
      if (slot > now) await new Promise((r) => setTimeout(r, slot - now));
      const rq = next();
      const a = await post(agent, base, rq.path, rq.body, rq.headers);
      stats.record(a.status, a.ms);
      onAnswer?.(rq, a);
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  agent.destroy();
}

/** Resident memory of a process in MiB, from /proc (Linux). */
export function rssMiB(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(s);
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}
