// Closed-loop peak load with autocannon, run as its own process, for machines
// without wrk (bench/run.mjs prefers wrk: it costs the server's core less).
// Uses autocannon's `requests` array so each connection cycles through the
// bodies; latencies are collected from its response events (autocannon's own
// histogram has 1 ms resolution).
//
//   node bench/autocannon-load.mjs '{"url":"...","connections":50,"durationS":12,"bodiesFile":"/tmp/b.txt","auth":"<key>"}'
//
// Prints one line: ACJSON {...}
import autocannon from 'autocannon';
import { readBodies } from './lib/bodies.mjs';

const opts = JSON.parse(process.argv[2] ?? '{}');
// bench/lib/bodies.mjs: JSON lines, or binary bodies with their own headers.
const bodies = readBodies(opts.bodiesFile);
const auth = opts.auth ? { authorization: `Bearer ${opts.auth}` } : {};

let lat = new Float64Array(1 << 20);
let n = 0;
const instance = autocannon({
  url: opts.url,
  connections: Number(opts.connections ?? 50),
  duration: Number(opts.durationS ?? 10),
  timeout: 5,
  requests: bodies.map(({ headers, body }) => ({ method: 'POST', headers: { ...headers, ...auth }, body })),
});
instance.on('response', (_client, statusCode, _bytes, responseTime) => {
  if (statusCode < 200 || statusCode >= 300) return;
  if (n === lat.length) {
    const bigger = new Float64Array(lat.length * 2);
    bigger.set(lat);
    lat = bigger;
  }
  lat[n++] = responseTime;
});
const r = await instance;
const sorted = lat.subarray(0, n).sort();
const pct = (p) => (n ? sorted[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] : null);
const r3 = (x) => (x === null ? null : Math.round(x * 1000) / 1000);
let sum = 0;
for (let i = 0; i < n; i++) sum += sorted[i];
process.stdout.write(
  `ACJSON ${JSON.stringify({
    duration_s: r.duration,
    requests: r.requests.total,
    ok: r['2xx'],
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    latency_ms: { p50: r3(pct(50)), p90: r3(pct(90)), p99: r3(pct(99)), p999: r3(pct(99.9)), max: r3(n ? sorted[n - 1] : null), mean: r3(n ? sum / n : null) },
  })}\n`,
);
process.exit(0);
