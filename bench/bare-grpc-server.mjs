// The gRPC anchor of `npm run bench` (scenario 9): a bare @grpc/grpc-js
// server that does what Modelgate's gRPC ModelInfer must do and nothing
// else. It decodes the KServe V2 `ModelInferRequest` of proto/ with
// @grpc/proto-loader (the same options Modelgate loads it with), reads the
// FP32 input from `raw_input_contents` (or `contents.fp32_contents`), runs
// the same onnxruntime-node session as bench/bare-server.mjs (same session
// options) and answers a `ModelInferResponse` with raw outputs, as Modelgate
// answers a raw request. No auth, no metrics, no telemetry; channelz off, as
// in Modelgate's server.
//
// Like bench/bare-server.mjs it runs one onnxruntime `run()` per call. With
// BATCH=1 it micro-batches instead: the calls decoded in one event-loop turn
// run as one tensor (the batch flushed on setImmediate), for comparing with
// a batching node:http anchor.
//
//   PORT=0 MODEL=test/fixtures/breast_cancer_xgb.onnx node bench/bare-grpc-server.mjs
//
// Prints "listening <port>" once bound. On SIGUSR2 it prints
// `counts {"ok":N,"errors":M}` (calls answered OK / with an error so far),
// which the bench reads around a load run: h2load counts HTTP status 200
// even when the gRPC status in the trailers is not 0.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import ort from 'onnxruntime-node';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const modelPath = process.env.MODEL ?? path.join(root, 'test/fixtures/breast_cancer_xgb.onnx');
const csvPath = process.env.FEATURES_CSV ?? modelPath.replace(/\.onnx$/, '.test.csv');
const port = Number(process.env.PORT ?? 0);
const host = process.env.HOST ?? '127.0.0.1';
const batching = process.env.BATCH === '1';

const header = readFileSync(csvPath, 'utf8').split('\n', 1)[0].trim().split(',');
const width = header.filter((h) => h !== (process.env.LABEL_COLUMN ?? 'label')).length;

const session = await ort.InferenceSession.create(modelPath, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
const inputName = session.inputNames[0];
const DATATYPE = { float32: 'FP32', float64: 'FP64', int64: 'INT64', int32: 'INT32', bool: 'BOOL', string: 'BYTES' };

const def = protoLoader.loadSync(path.join(root, 'proto/grpc_predict_v2.proto'), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
const pkg = grpc.loadPackageDefinition(def);
const counts = { ok: 0, errors: 0 };

/** The request's rows as one Float32Array, or a message saying why not. */
function rowsOf(req) {
  const input = req.inputs?.[0];
  if (!input || input.datatype !== 'FP32') return 'one FP32 input expected';
  const shape = input.shape.map(Number);
  const n = shape.length === 2 ? shape[0] : shape.length === 1 ? 1 : -1;
  if (n < 1 || shape[shape.length - 1] !== width) return `shape must be [n, ${width}]`;
  const raw = req.raw_input_contents?.[0];
  if (raw && raw.length) {
    if (raw.length !== n * width * 4) return 'raw_input_contents has the wrong length';
    // A copy: the decoded Buffer's offset need not be 4-byte aligned.
    const data = new Float32Array(n * width);
    new Uint8Array(data.buffer).set(raw);
    return { n, data };
  }
  const fp32 = input.contents?.fp32_contents;
  if (!fp32 || fp32.length !== n * width) return 'fp32_contents has the wrong length';
  return { n, data: Float32Array.from(fp32) };
}

/** Runs `rows` (Float32Array of `n` rows) and answers each caller its slice of every output. */
async function run(n, data) {
  const out = await session.run({ [inputName]: new ort.Tensor('float32', data, [n, width]) });
  return session.outputNames.map((name) => {
    const t = out[name];
    return { name, datatype: DATATYPE[t.type] ?? t.type.toUpperCase(), per: t.data.length / n, data: t.data, dims: t.dims };
  });
}

function answer(req, outputs, from, n) {
  const res = { model_name: req.model_name, model_version: '1', id: req.id, outputs: [], raw_output_contents: [] };
  for (const o of outputs) {
    const slice = o.data.subarray(from * o.per, (from + n) * o.per);
    res.outputs.push({ name: o.name, datatype: o.datatype, shape: [n, ...o.dims.slice(1)] });
    res.raw_output_contents.push(Buffer.from(slice.buffer, slice.byteOffset, slice.byteLength));
  }
  return res;
}

function fail(cb, code, message) {
  counts.errors++;
  cb({ code, details: message });
}

let pending = [];
function flush() {
  const calls = pending;
  pending = [];
  const total = calls.reduce((a, c) => a + c.rows.n, 0);
  const data = new Float32Array(total * width);
  let at = 0;
  for (const c of calls) {
    data.set(c.rows.data, at * width);
    c.from = at;
    at += c.rows.n;
  }
  run(total, data).then(
    (outputs) => {
      for (const c of calls) {
        counts.ok++;
        c.cb(null, answer(c.req, outputs, c.from, c.rows.n));
      }
    },
    (err) => {
      for (const c of calls) fail(c.cb, grpc.status.INTERNAL, String(err?.message ?? err));
    },
  );
}

function modelInfer(call, cb) {
  const req = call.request;
  const rows = rowsOf(req);
  if (typeof rows === 'string') return fail(cb, grpc.status.INVALID_ARGUMENT, rows);
  if (batching) {
    if (pending.push({ req, rows, cb }) === 1) setImmediate(flush);
    return;
  }
  run(rows.n, rows.data).then(
    (outputs) => {
      counts.ok++;
      cb(null, answer(req, outputs, 0, rows.n));
    },
    (err) => fail(cb, grpc.status.INTERNAL, String(err?.message ?? err)),
  );
}

const server = new grpc.Server({ 'grpc.max_send_message_length': -1, 'grpc.enable_channelz': 0 });
server.addService(pkg.inference.GRPCInferenceService.service, {
  ModelInfer: modelInfer,
  ServerLive: (_call, cb) => cb(null, { live: true }),
  ServerReady: (_call, cb) => cb(null, { ready: true }),
  ModelReady: (_call, cb) => cb(null, { ready: true }),
});
server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => {
  if (err) {
    process.stderr.write(`bind failed: ${err.message}\n`);
    process.exit(1);
  }
  process.stdout.write(`listening ${bound}${batching ? ' (batching)' : ''}\n`);
});
process.on('SIGUSR2', () => process.stdout.write(`counts ${JSON.stringify(counts)}\n`));
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.forceShutdown();
    process.exit(0);
  });
}
