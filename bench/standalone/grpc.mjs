// gRPC ModelInfer (raw_input_contents, batch 1) against REST /v1 predict
// (batch 1), one Node load loop for both, interleaved rounds.
// Bar: gRPC at least 0.9x REST. `node bench/standalone/grpc.mjs` after
// `npm run build`; BENCH_QUICK=1 for a smoke run.
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { compare, firstRow, log, MODEL, request, stopModelgate, ROOT, startModelgate } from './oip-harness.mjs';

const mg = await startModelgate();
const { row, p1 } = firstRow();
const def = protoLoader.loadSync(path.join(ROOT, 'proto/grpc_predict_v2.proto'), { keepCase: true, longs: Number, enums: String, defaults: true, oneofs: true });
const pkg = grpc.loadPackageDefinition(def);
const client = new pkg.inference.GRPCInferenceService(`127.0.0.1:${mg.grpcPort}`, grpc.credentials.createInsecure());
const md = new grpc.Metadata();
md.set('authorization', `Bearer ${mg.key}`);
const inferRequest = { model_name: MODEL, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, row.length] }], raw_input_contents: [Buffer.from(new Float32Array(row).buffer)] };
const infer = () => new Promise((resolve, reject) => client.ModelInfer(inferRequest, md, (err, res) => (err ? reject(err) : resolve(res))));

const v1Body = Buffer.from(JSON.stringify({ inputs: [row] }));
const v1Headers = { ...mg.auth, 'content-type': 'application/json' };
const v1 = () => request(mg.base, 'POST', `/v1/models/${MODEL}/predict`, { headers: v1Headers, body: v1Body });

const g = await infer();
const k = g.outputs.findIndex((o) => o.name === 'probabilities');
const gp = g.raw_output_contents[k].readFloatLE(4);
const rp = JSON.parse((await v1()).body.toString()).predictions[0].score;
for (const [what, p] of [['gRPC', gp], ['REST /v1', rp]]) if (!(Math.abs(p - p1) < 1e-5)) throw new Error(`${what} scored ${p}, expected ${p1}`);
log('both request kinds answer the fixture probability to 1e-5');

const doc = await compare({
  scenario: 'grpc',
  describe: 'gRPC ModelInfer (raw FP32 [1, 30]) vs REST POST /v1/models/bc/predict (one row)',
  a: { label: 'rest_v1', send: async () => { const r = await v1(); if (r.status !== 200) throw new Error(String(r.status)); } },
  b: { label: 'grpc', send: infer },
  bar: 0.9,
});
client.close();
await stopModelgate();
process.exit(doc.passed || process.env.BENCH_STRICT !== '1' ? 0 : 1);
