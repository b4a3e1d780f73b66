// gRPC ModelInfer (raw_input_contents, batch 1) against REST /v1 predict
// (batch 1), interleaved rounds.
//
// The bar compares like with like: REST is sent as pre-encoded JSON bytes
// over node:http, gRPC as pre-encoded protobuf bytes in gRPC framing over
// node:http2 (what ghz or h2load do), each checking the status of every
// answer. The @grpc/grpc-js client is measured too, for information: on
// this stack it is the bottleneck of its own loop (it peaks below REST even
// against a server that answers nothing), so it measures the client, not
// Modelgate. With h2load installed (Debian nghttp2-client) both protocols
// are also driven by that one compiled load generator (HTTP/1.1 and h2c),
// which takes the client's cost out of the server's cores.
// No bar: gRPC ÷ REST is information. @grpc/grpc-js is slower than node:http
// whatever the server does; gRPC's bar is against a bare grpc-js server, in
// `npm run bench`'s scenario 9 (bench/scenarios/9-grpc.mjs).
// `node bench/standalone/grpc.mjs` after `npm run build`; BENCH_QUICK=1 for
// a smoke run.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http2 from 'node:http2';
import os from 'node:os';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { compare, firstRow, log, MODEL, request, stopModelgate, ROOT, startModelgate } from './oip-harness.mjs';

const METHOD = '/inference.GRPCInferenceService/ModelInfer';
const mg = await startModelgate();
const { row, p1 } = firstRow();
const def = protoLoader.loadSync(path.join(ROOT, 'proto/grpc_predict_v2.proto'), { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
const codec = def['inference.GRPCInferenceService'].ModelInfer;
const inferRequest = { model_name: MODEL, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, row.length] }], raw_input_contents: [Buffer.from(new Float32Array(row).buffer)] };

// The grpc-js client, as an application would use it.
const pkg = grpc.loadPackageDefinition(def);
const client = new pkg.inference.GRPCInferenceService(`127.0.0.1:${mg.grpcPort}`, grpc.credentials.createInsecure());
const md = new grpc.Metadata();
md.set('authorization', `Bearer ${mg.key}`);
const grpcJsInfer = () => new Promise((resolve, reject) => client.ModelInfer(inferRequest, md, (err, res) => (err ? reject(err) : resolve(res))));

// The wire loop: one HTTP/2 connection (a gRPC channel), the request encoded once.
const message = codec.requestSerialize(inferRequest);
const framed = Buffer.concat([Buffer.from([0, (message.length >>> 24) & 255, (message.length >>> 16) & 255, (message.length >>> 8) & 255, message.length & 255]), message]);
const session = http2.connect(`http://127.0.0.1:${mg.grpcPort}`);
const h2Headers = { ':method': 'POST', ':path': METHOD, 'content-type': 'application/grpc', te: 'trailers', authorization: `Bearer ${mg.key}` };
/** One unary call on the wire: answers the response message bytes, or throws on a non-zero grpc-status. */
const wireInfer = () =>
  new Promise((resolve, reject) => {
    const stream = session.request(h2Headers);
    const chunks = [];
    let status;
    stream.on('response', (h) => (status = h['grpc-status']));
    stream.on('trailers', (t) => (status = t['grpc-status'] ?? status));
    stream.on('data', (c) => chunks.push(c));
    stream.on('error', reject);
    stream.on('end', () => (status === '0' ? resolve(Buffer.concat(chunks).subarray(5)) : reject(new Error(`grpc-status ${status}`))));
    stream.end(framed);
  });

const v1Body = Buffer.from(JSON.stringify({ inputs: [row] }));
const v1Headers = { ...mg.auth, 'content-type': 'application/json' };
const v1 = () => request(mg.base, 'POST', `/v1/models/${MODEL}/predict`, { headers: v1Headers, body: v1Body });

const probability = (res) => res.raw_output_contents[res.outputs.findIndex((o) => o.name === 'probabilities')].readFloatLE(4);
const checks = [
  ['gRPC (grpc-js client)', probability(await grpcJsInfer())],
  ['gRPC (wire)', probability(codec.responseDeserialize(await wireInfer()))],
  ['REST /v1', JSON.parse((await v1()).body.toString()).predictions[0].score],
];
for (const [what, p] of checks) if (!(Math.abs(p - p1) < 1e-5)) throw new Error(`${what} scored ${p}, expected ${p1}`);
log('every request kind answers the fixture probability to 1e-5');

const doc = await compare({
  scenario: 'grpc',
  describe: 'gRPC ModelInfer (raw FP32 [1, 30]) vs REST POST /v1/models/bc/predict (one row)',
  a: { label: 'rest_v1', send: async () => { const r = await v1(); if (r.status !== 200) throw new Error(String(r.status)); } },
  b: { label: 'grpc', send: wireInfer },
  extra: [{ label: 'grpc_js_client', send: grpcJsInfer, note: 'the @grpc/grpc-js client on the same loop, for information: its own CPU bounds it on this machine' }],
});
client.close();
session.close();
h2loadPair();
await stopModelgate();
process.exit(doc.passed || process.env.BENCH_STRICT !== '1' ? 0 : 1);

/** Both protocols from h2load, one after the other per round; information beside the bar. */
function h2loadPair() {
  if (spawnSync('h2load', ['--version']).status !== 0) return log('h2load is not installed (apt-get install nghttp2-client): no compiled-client figures');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mg-h2load-'));
  fs.writeFileSync(path.join(dir, 'grpc.bin'), framed);
  fs.writeFileSync(path.join(dir, 'v1.json'), v1Body);
  const seconds = String(Math.max(2, Math.round(Number(process.env.BENCH_DURATION_S ?? 8))));
  const rps = (args) => {
    const out = spawnSync('h2load', ['-D', seconds, ...args], { encoding: 'utf8' }).stdout ?? '';
    const ok = /(\d+) succeeded, (\d+) failed/.exec(out);
    const r = /finished in [\d.]+s, ([\d.]+) req\/s/.exec(out);
    if (!r || !ok || Number(ok[2]) > 0) throw new Error(`h2load: ${out.slice(-400)}`);
    return Number(r[1]);
  };
  const rows = [];
  for (let i = 0; i < 2; i++) {
    const rest = rps(['--h1', '-c', '16', '-d', path.join(dir, 'v1.json'), '-H', 'content-type: application/json', '-H', `authorization: Bearer ${mg.key}`, `${mg.base}/v1/models/${MODEL}/predict`]);
    const g = rps(['-c', '1', '-m', '16', '-d', path.join(dir, 'grpc.bin'), '-H', 'content-type: application/grpc', '-H', 'te: trailers', '-H', `authorization: Bearer ${mg.key}`, `http://127.0.0.1:${mg.grpcPort}${METHOD}`]);
    rows.push({ rest, grpc: g, ratio: g / rest });
  }
  fs.rmSync(dir, { recursive: true, force: true });
  for (const r of rows) log(`h2load: REST /v1 ${r.rest.toFixed(0)} req/s (16 HTTP/1.1 connections), gRPC ${r.grpc.toFixed(0)} req/s (16 streams on one h2c connection): ${r.ratio.toFixed(3)}`);
  const file = fs.readdirSync(path.join(ROOT, 'bench', 'results')).filter((f) => f.startsWith('grpc-')).sort().at(-1);
  if (file) {
    const p = path.join(ROOT, 'bench', 'results', file);
    fs.writeFileSync(p, `${JSON.stringify({ ...JSON.parse(fs.readFileSync(p, 'utf8')), h2load: rows }, null, 2)}\n`);
  }
}
