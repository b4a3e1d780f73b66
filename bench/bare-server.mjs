// The anchors of `npm run bench`: a bare node:http server that does what a
// predict route must do and nothing else. It reads the same JSON body as
// Modelgate's /v1 route ({"instances": [{...named features...}]}), builds
// the Float32Array in the model's feature order, calls onnxruntime-node
// directly and answers JSON with the score. No auth, no metrics, no telemetry.
//
// By default it runs one onnxruntime `run()` per request. With BATCH=1 it
// micro-batches the requests of one event-loop turn into one run (same-turn
// batching, the limit of this stack: see bench/lib/anchor-core.mjs).
//
//   PORT=9000 MODEL=test/fixtures/breast_cancer_xgb.onnx [BATCH=1] node bench/bare-server.mjs
//
// GET /metrics answers {"runs","rows","requests","errors"} so far; any other
// GET answers 200 (readiness probe). Prints "listening <port>" once ready.
import http from 'node:http';
import { createInfer, openModel, rowsOf } from './lib/anchor-core.mjs';

const port = Number(process.env.PORT ?? 9000);
const host = process.env.HOST ?? '127.0.0.1';
const batching = process.env.BATCH === '1';

const model = await openModel();
const { infer, stats } = createInfer(model, { batching });

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
const fail = (res, status, message) => send(res, status, JSON.stringify({ error: { code: status === 400 ? 'BAD_REQUEST' : 'INTERNAL', message } }));

function predict(raw, res) {
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    return fail(res, 400, 'invalid JSON');
  }
  const rows = rowsOf(body, model);
  if (typeof rows === 'string') return fail(res, 400, rows);
  infer(rows, (err, answer) => (err ? fail(res, 500, String(err?.message ?? err)) : send(res, 200, answer)));
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') {
    send(res, 200, req.url === '/metrics' ? JSON.stringify(stats) : '{"status":"ok"}');
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => predict(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'), res));
});
server.keepAliveTimeout = 65_000;
server.listen(port, host, () => {
  process.stdout.write(`listening ${server.address().port}${batching ? ' (batching)' : ''}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    server.closeAllConnections?.();
    process.exit(0);
  });
}
