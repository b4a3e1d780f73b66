// Closed-loop load that keeps the latency of admitted (2xx) and shed (503)
// answers apart, for the overload scenario: wrk and autocannon report one
// latency distribution for every answer, so the p99 of the requests let in
// and the speed of the refusals cannot be read from them. Each connection
// sends its next request when the last one's answer has arrived (a refused
// caller comes straight back, as wrk's do); raw sockets keep the client's
// own cost per request low.
//
//   node bench/overload-load.mjs '{"url":"...","connections":400,"durationS":12,"warmupS":2,"bodiesFile":"/tmp/b.txt","auth":"<key>"}'
//
// Prints one line: OVERLOADJSON {...}
import net from 'node:net';
import { readBodies } from './lib/bodies.mjs';

const opts = JSON.parse(process.argv[2] ?? '{}');
const url = new URL(opts.url);
const connections = Number(opts.connections ?? 50);
const warmupS = Number(opts.warmupS ?? 0);
const durationS = Number(opts.durationS ?? 10);
const auth = opts.auth ? `Authorization: Bearer ${opts.auth}\r\n` : '';
// bench/lib/bodies.mjs: JSON lines, or binary bodies with their own headers.
const requests = readBodies(opts.bodiesFile).map(({ headers, body }) =>
  Buffer.concat([
    Buffer.from(`POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}${auth}Content-Length: ${body.length}\r\n\r\n`),
    body,
  ]),
);
const HEADER_END = Buffer.from('\r\n\r\n');
const now = () => performance.now();

class Samples {
  constructor() {
    this.v = new Float64Array(1 << 16);
    this.n = 0;
  }
  add(x) {
    if (this.n === this.v.length) {
      const bigger = new Float64Array(this.v.length * 2);
      bigger.set(this.v);
      this.v = bigger;
    }
    this.v[this.n++] = x;
  }
  summary() {
    const s = this.v.subarray(0, this.n).sort();
    const n = this.n;
    const pct = (p) => (n ? Math.round(s[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))] * 1000) / 1000 : null);
    return { count: n, p50: pct(50), p90: pct(90), p99: pct(99), p999: pct(99.9), max: n ? Math.round(s[n - 1] * 1000) / 1000 : null };
  }
}

const admitted = new Samples();
const shed = new Samples();
const statuses = {};
let errors = 0;
let measuring = false;
let stopping = false;
let next = 0;

class Conn {
  constructor() {
    this.buf = null;
    this.sentAt = 0;
    this.open = new Promise((resolve) => {
      this.socket = net.connect({ host: url.hostname, port: Number(url.port || 80), noDelay: true }, resolve);
    });
    this.socket.on('data', (d) => this.onData(d));
    this.socket.on('error', () => {});
    this.socket.on('close', () => {
      if (!stopping && measuring) errors++;
    });
  }
  send() {
    if (stopping || this.socket.destroyed) return;
    this.sentAt = now();
    this.socket.write(requests[next]);
    next = (next + 1) % requests.length;
  }
  onData(d) {
    this.buf = this.buf === null ? d : Buffer.concat([this.buf, d]);
    const buf = this.buf;
    const he = buf.indexOf(HEADER_END);
    if (he < 0) return;
    const head = buf.toString('latin1', 0, he).toLowerCase();
    const m = /\r\ncontent-length:\s*(\d+)/.exec(head);
    const total = m ? he + 4 + Number(m[1]) : buf.length;
    if (buf.length < total) return;
    this.buf = buf.length > total ? buf.subarray(total) : null;
    const ms = now() - this.sentAt;
    const status = Number(head.slice(9, 12));
    if (measuring) {
      statuses[status] = (statuses[status] ?? 0) + 1;
      if (status >= 200 && status < 300) admitted.add(ms);
      else if (status === 503) shed.add(ms);
    }
    this.send();
  }
}

const conns = Array.from({ length: connections }, () => new Conn());
await Promise.all(conns.map((c) => c.open));
for (const c of conns) c.send();
await new Promise((r) => setTimeout(r, warmupS * 1000));
measuring = true;
const t0 = now();
await new Promise((r) => setTimeout(r, durationS * 1000));
measuring = false;
const seconds = (now() - t0) / 1000;
stopping = true;
for (const c of conns) c.socket.destroy();
const a = admitted.summary();
const s = shed.summary();
process.stdout.write(
  `OVERLOADJSON ${JSON.stringify({
    duration_s: Math.round(seconds * 1000) / 1000,
    connections,
    statuses,
    errors,
    admitted_rps: Math.round((a.count / seconds) * 10) / 10,
    shed_rps: Math.round((s.count / seconds) * 10) / 10,
    admitted_ms: a,
    shed_ms: s,
  })}\n`,
);
process.exit(0);
