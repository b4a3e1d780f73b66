// gRPC pieces of scenario 9: the ModelInfer request as wire bytes, one real
// @grpc/grpc-js call that checks an answer's grpc-status and score, the
// bare grpc-js anchor (bench/bare-grpc-server.mjs) and the counters that
// tell how many calls a server answered OK around a load run.
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { BENCH, CSV_FILE, MODEL, MODEL_FILE, ROOT } from './settings.mjs';
import { BenchError, sleep } from './log.mjs';
import { spawnChild, stopChild, tail } from './children.mjs';
import { freePort, http } from './http.mjs';
import { parseProm, sumOf } from './metrics.mjs';
import { waitFor } from './servers.mjs';
import { grpcFrame } from './h2load.mjs';

export const METHOD = '/inference.GRPCInferenceService/ModelInfer';
const def = protoLoader.loadSync(path.join(ROOT, 'proto/grpc_predict_v2.proto'), { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true });
const codec = def['inference.GRPCInferenceService'].ModelInfer;

/** The ModelInfer request for one row (raw FP32 [1, width], as Triton's and KServe's clients send it): message and framed bytes. */
export function inferRequestBytes(values) {
  const message = codec.requestSerialize({
    model_name: MODEL,
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, values.length] }],
    raw_input_contents: [Buffer.from(new Float32Array(values).buffer)],
  });
  return { message, framed: grpcFrame(message) };
}

/**
 * One unary call through the @grpc/grpc-js client with exactly `message` as
 * the request bytes: throws unless grpc-status is 0 and the probability of
 * class 1 is `expected` (1e-5).
 */
export async function checkCall(port, message, key, expected, what) {
  const client = new grpc.Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const md = new grpc.Metadata();
  if (key) md.set('authorization', `Bearer ${key}`);
  try {
    const res = await new Promise((resolve, reject) => {
      client.makeUnaryRequest(METHOD, (b) => b, codec.responseDeserialize, message, md, { deadline: Date.now() + 10_000 }, (err, r) => (err ? reject(err) : resolve(r)));
    });
    const i = res.outputs.findIndex((o) => o.name === 'probabilities');
    const p = i >= 0 ? res.raw_output_contents[i]?.readFloatLE(4) : undefined;
    if (typeof p !== 'number' || Math.abs(p - expected) > 1e-5) throw new BenchError(`${what}: ModelInfer scored ${p}, the fixture's expected.json says ${expected}`);
    return p;
  } catch (err) {
    if (err instanceof BenchError) throw err;
    throw new BenchError(`${what}: ModelInfer through @grpc/grpc-js failed: grpc-status ${err.code} ${err.details ?? err.message}`);
  } finally {
    client.close();
  }
}

/** Starts bench/bare-grpc-server.mjs (BATCH=1 with `batch`) on a free port and checks one call. */
export async function startBareGrpc(h, { batch = false, message, expected }) {
  const port = await freePort();
  const name = batch ? 'bare grpc-js batching' : 'bare grpc-js';
  const rec = spawnChild(name, process.execPath, [path.join(BENCH, 'bare-grpc-server.mjs')], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', MODEL: MODEL_FILE, FEATURES_CSV: CSV_FILE, BATCH: batch ? '1' : '0' },
    logFile: path.join(h.logDir, `${name.replace(/\W+/g, '-')}.log`),
  });
  const server = { rec, kind: 'bare-grpc', name, port, grpcPort: port, headers: {} };
  await waitFor(rec, 'listening', async () => rec.out.includes('listening') || 'not yet', 30);
  await checkCall(port, message, null, expected, name);
  return server;
}

export async function withBareGrpc(h, opts, fn) {
  const srv = await startBareGrpc(h, opts);
  try {
    return await fn(srv);
  } finally {
    await stopChild(srv.rec);
  }
}

/**
 * Calls answered OK and with an error so far: the bare server's own
 * counters (SIGUSR2), Modelgate's prediction request and error counters of
 * `protocol` on /metrics.
 */
export async function servedCounts(server, protocol) {
  if (server.kind === 'bare-grpc') {
    const from = server.rec.out.lastIndexOf('counts ');
    process.kill(server.rec.pid, 'SIGUSR2');
    for (let i = 0; i < 50; i++) {
      const at = server.rec.out.lastIndexOf('counts ');
      if (at > from) return JSON.parse(server.rec.out.slice(at + 7).split('\n', 1)[0]);
      await sleep(20);
    }
    throw new BenchError(`${server.name} did not print its counts. Log tail:\n${tail(server.rec)}`);
  }
  const r = await http('GET', `${server.base}/metrics`, { headers: server.headers });
  if (r.status !== 200) throw new BenchError(`${server.name}: GET /metrics answered ${r.status}`);
  const s = parseProm(r.text);
  const requests = sumOf(s, 'modelgate_prediction_requests_total', { model: MODEL, protocol });
  const errors = sumOf(s, 'modelgate_prediction_errors_total', { model: MODEL, protocol });
  return { ok: requests - errors, errors };
}
