// Fixed-rate (open-loop, wrk2-style) HTTP load for `npm run bench`, run as
// its own process. Requests are scheduled at a constant rate; a request whose
// turn comes while all connections are busy waits in a queue, and its latency
// is counted from when it was *scheduled*, not from when a connection became
// free (no coordinated omission). The time from the actual write is reported
// too ("service").
//
// It starts with `connections` and, like a client's connection pool, opens
// another (up to `maxConnections`, default `connections`) when a request is
// due and every connection is busy. With a fixed pool the generator itself
// caps the rate at connections / latency: a server whose latency rises
// past that for a moment is then sent less than the rate until the backlog
// is gone, and the run measures the pool, not the server.
//
// autocannon's --overallRate is not used for this: it lets each connection
// send its per-second quota back to back and then pause until the next
// 1-second tick, i.e. bursts at peak load, not a steady 80%.
//
//   node bench/paced-load.mjs '{"url":"http://127.0.0.1:8080/v1/models/bc/predict","rate":8000,
//     "connections":50,"maxConnections":200,"warmupS":3,"durationS":12,"bodiesFile":"/tmp/b.txt","auth":"<key>"}'
//
// Prints one line: PACEDJSON {...}
import net from 'node:net';
import { readBodies } from './lib/bodies.mjs';

const opts = JSON.parse(process.argv[2] ?? '{}');
const url = new URL(opts.url);
const host = url.hostname;
const port = Number(url.port || 80);
const rate = Number(opts.rate);
const connections = Number(opts.connections ?? 50);
const maxConnections = Math.max(connections, Number(opts.maxConnections ?? connections));
const warmupS = Number(opts.warmupS ?? 0);
const durationS = Number(opts.durationS ?? 10);
const graceMs = Number(opts.graceMs ?? 5000);
if (!(rate > 0) || !(durationS > 0) || !(connections > 0)) throw new Error('rate, durationS and connections must be > 0');

const auth = opts.auth ? `Authorization: Bearer ${opts.auth}\r\n` : '';
// Each request's bytes, built once (bench/lib/bodies.mjs: JSON lines, or binary bodies with their headers).
const requests = readBodies(opts.bodiesFile).map(({ headers, body }) =>
  Buffer.concat([
    Buffer.from(
      `POST ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}${auth}` +
        `Content-Length: ${body.length}\r\n\r\n`,
    ),
    body,
  ]),
);

const now = () => performance.now();
const HEADER_END = Buffer.from('\r\n\r\n');
const CHUNKED_END = Buffer.from('\r\n0\r\n\r\n');

// Measurement window state.
let measuring = false;
let windowStart = 0;
let windowEnd = Infinity;
const cap = Math.ceil(rate * durationS * 1.1) + 1024;
const latency = new Float64Array(cap); // from scheduled time, ms
const service = new Float64Array(cap); // from the write, ms
let n = 0;
let ok = 0;
let non2xx = 0;
let errors = 0;
const statuses = {};
let maxBacklog = 0;
// Per second of scheduled time in the window: answers, mean and max latency, backlog.
const secs = Math.ceil(durationS);
const tlCount = new Float64Array(secs);
const tlSum = new Float64Array(secs);
const tlMax = new Float64Array(secs);
const tlBacklog = new Float64Array(secs);
function timeline(scheduled, ms) {
  const i = Math.floor((scheduled - windowStart) / 1000);
  if (i < 0 || i >= secs) return;
  tlCount[i]++;
  tlSum[i] += ms;
  if (ms > tlMax[i]) tlMax[i] = ms;
}

// Scheduled requests not yet written: a ring of scheduled times.
let queue = new Float64Array(1 << 16);
let qHead = 0;
let qLen = 0;
function enqueue(t) {
  if (qLen === queue.length) {
    const bigger = new Float64Array(queue.length * 2);
    for (let i = 0; i < qLen; i++) bigger[i] = queue[(qHead + i) % queue.length];
    queue = bigger;
    qHead = 0;
  }
  queue[(qHead + qLen) % queue.length] = t;
  qLen++;
}
function dequeue() {
  const t = queue[qHead];
  qHead = (qHead + 1) % queue.length;
  qLen--;
  return t;
}

let next = 0; // index into requests, cycling
const idle = [];
let stopping = false;

class Conn {
  constructor() {
    this.opening = true;
    opening++;
    this.buf = null;
    this.busy = false;
    this.scheduled = 0;
    this.sentAt = 0;
    this.connect();
  }
  connect() {
    this.ready = false;
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.on('connect', () => {
      if (!this.ready && this.opening) {
        this.opening = false;
        opening--;
      }
      this.ready = true;
      this.buf = null;
      idle.push(this);
      pump();
    });
    this.socket.on('data', (d) => this.onData(d));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      if (this.busy) this.fail();
      const i = idle.indexOf(this);
      if (i >= 0) idle.splice(i, 1);
      if (!stopping) setTimeout(() => this.connect(), 10);
    });
  }
  send(scheduled) {
    this.busy = true;
    this.scheduled = scheduled;
    this.sentAt = now();
    this.socket.write(requests[next]);
    next = (next + 1) % requests.length;
  }
  fail() {
    this.busy = false;
    if (measuring && this.scheduled >= windowStart && this.scheduled < windowEnd) errors++;
  }
  onData(d) {
    this.buf = this.buf === null ? d : Buffer.concat([this.buf, d]);
    const buf = this.buf;
    const he = buf.indexOf(HEADER_END);
    if (he < 0) return;
    const head = buf.toString('latin1', 0, he).toLowerCase();
    const m = /\r\ncontent-length:\s*(\d+)/.exec(head);
    let total;
    if (m) {
      total = he + 4 + Number(m[1]);
      if (buf.length < total) return;
    } else if (head.includes('transfer-encoding: chunked')) {
      const end = buf.indexOf(CHUNKED_END, he);
      if (end < 0) return;
      total = end + CHUNKED_END.length;
    } else {
      total = buf.length;
    }
    const status = Number(head.slice(9, 12));
    this.buf = buf.length > total ? buf.subarray(total) : null;
    const t = now();
    if (this.busy) {
      this.busy = false;
      if (measuring && this.scheduled >= windowStart && this.scheduled < windowEnd) {
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status >= 200 && status < 300) {
          ok++;
          if (n < cap) {
            latency[n] = t - this.scheduled;
            service[n] = t - this.sentAt;
            n++;
          }
          timeline(this.scheduled, t - this.scheduled);
        } else non2xx++;
      }
    }
    if (head.includes('\r\nconnection: close')) {
      this.socket.destroy();
      return;
    }
    if (qLen > 0 && !stopping) this.send(dequeue());
    else idle.push(this);
  }
}

function pump() {
  while (qLen > 0 && idle.length > 0) {
    const c = idle.pop();
    if (c.ready && !c.busy && !c.socket.destroyed) c.send(dequeue());
  }
  // Due requests and no idle connection: grow the pool, one connection per request waiting beyond those already opening.
  while (measuring && !stopping && qLen > opening && conns.length < maxConnections) conns.push(new Conn());
}

/** Connections opened and not yet connected. */
let opening = 0;
const conns = Array.from({ length: connections }, () => new Conn());
await new Promise((resolve) => {
  const check = () => (conns.every((c) => c.ready) ? resolve() : setTimeout(check, 5));
  check();
});

const interval = 1000 / rate;
const start = now();
const stopScheduling = start + (warmupS + durationS) * 1000;
windowStart = start + warmupS * 1000;
windowEnd = stopScheduling;
let scheduled = 0;
measuring = true;
await new Promise((resolve) => {
  const timer = setInterval(() => {
    const t = now();
    const until = Math.min(t, stopScheduling);
    while (start + scheduled * interval <= until) {
      enqueue(start + scheduled * interval);
      scheduled++;
    }
    if (qLen > maxBacklog && t >= windowStart) maxBacklog = qLen;
    if (t >= windowStart) {
      const i = Math.floor((t - windowStart) / 1000);
      if (i < secs && qLen > tlBacklog[i]) tlBacklog[i] = qLen;
    }
    pump();
    if (t >= stopScheduling) {
      clearInterval(timer);
      resolve();
    }
  }, 1);
});
// Requests scheduled but never written: the server fell behind the rate.
// Each counts with the latency it has at least (from its scheduled time to
// the end), so a backlog shows in the percentiles instead of vanishing.
const unsentAtEnd = qLen;
const endAt = now();
while (qLen > 0) {
  const s = dequeue();
  if (s >= windowStart && s < windowEnd && n < cap) {
    latency[n] = endAt - s;
    service[n] = 0;
    n++;
  }
}
// Let requests already written finish (their latency counts), then stop.
const deadline = now() + graceMs;
stopping = true;
await new Promise((resolve) => {
  const check = () => (conns.every((c) => !c.busy) || now() > deadline ? resolve() : setTimeout(check, 5));
  check();
});
const inFlightAtEnd = conns.filter((c) => c.busy).length;
for (const c of conns) {
  if (c.busy && c.scheduled >= windowStart && c.scheduled < windowEnd && n < cap) {
    latency[n] = now() - c.scheduled;
    service[n] = now() - c.sentAt;
    n++;
  }
  c.busy = false;
  c.socket.destroy();
}

function pct(sorted, p) {
  if (sorted.length === 0) return null;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}
const lat = latency.subarray(0, n).sort();
const svc = service.subarray(0, n).sort();
let sum = 0;
for (let i = 0; i < n; i++) sum += lat[i];
const r3 = (x) => (x === null ? null : Math.round(x * 1000) / 1000);
const result = {
  target_rate: rate,
  connections,
  max_connections: maxConnections,
  // Connections the pool held at the end (connections, plus those opened while every one was busy).
  connections_opened: conns.length,
  duration_s: durationS,
  scheduled_in_window: Math.round((windowEnd - windowStart) / interval),
  completed: ok + non2xx,
  ok,
  non2xx,
  errors,
  statuses,
  achieved_rate: Math.round(((ok + non2xx) / durationS) * 10) / 10,
  unsent_at_end: unsentAtEnd, // counted in latency_ms as lower bounds
  latency_samples: n,
  in_flight_at_end: inFlightAtEnd,
  max_backlog: maxBacklog,
  latency_ms: { p50: r3(pct(lat, 50)), p90: r3(pct(lat, 90)), p99: r3(pct(lat, 99)), p999: r3(pct(lat, 99.9)), max: r3(n ? lat[n - 1] : null), mean: r3(n ? sum / n : null) },
  service_ms: { p50: r3(pct(svc, 50)), p99: r3(pct(svc, 99)), max: r3(n ? svc[n - 1] : null) },
  // One entry per second of the window: 2xx answers, mean and max latency (ms), largest backlog.
  timeline: Array.from({ length: secs }, (_, i) => ({
    ok: tlCount[i],
    mean_ms: tlCount[i] ? r3(tlSum[i] / tlCount[i]) : null,
    max_ms: r3(tlMax[i]),
    max_backlog: tlBacklog[i],
  })),
};
process.stdout.write(`PACEDJSON ${JSON.stringify(result)}\n`);
process.exit(0);
