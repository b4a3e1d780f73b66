// The hand-written Fastify anchor of `npm run bench`: one Fastify route
// (`POST /`, Fastify's own JSON body parser, logger off) doing what
// bench/bare-server.mjs does: read the /v1 body ({"instances": [...]}) into a
// Float32Array in feature order, call onnxruntime-node with the same session
// options, answer {"predictions": [...]} as a pre-serialised JSON string.
// It shows what Fastify itself costs over node:http, with the work held equal.
//
// Unbatched by default (one onnxruntime `run()` per request, as the issue's
// "hand-written Fastify route" was measured); BATCH=1 gathers the requests of
// one event-loop turn into one run, like bare-server.mjs (bench/lib/anchor-core.mjs).
//
//   PORT=9000 MODEL=test/fixtures/breast_cancer_xgb.onnx [BATCH=1] node bench/fastify-server.mjs
//
// GET /metrics answers {"runs","rows","requests","errors"}; GET / answers 200.
// Prints "listening <port>" once ready.
import Fastify from 'fastify';
import { createInfer, openModel, rowsOf } from './lib/anchor-core.mjs';

const port = Number(process.env.PORT ?? 9000);
const host = process.env.HOST ?? '127.0.0.1';
const batching = process.env.BATCH === '1';

const model = await openModel();
const { infer, stats } = createInfer(model, { batching });

const app = Fastify({ logger: false, keepAliveTimeout: 65_000 });
const fail = (reply, status, message) => reply.code(status).type('application/json').send(JSON.stringify({ error: { code: status === 400 ? 'BAD_REQUEST' : 'INTERNAL', message } }));

// A sync handler that returns nothing: it answers through `reply` (Fastify would send a returned value).
app.post('/', (request, reply) => {
  const rows = rowsOf(request.body, model);
  if (typeof rows === 'string') {
    fail(reply, 400, rows);
    return;
  }
  infer(rows, (err, answer) => {
    if (err) fail(reply, 500, String(err?.message ?? err));
    else reply.type('application/json').send(answer);
  });
});
app.get('/', (_request, reply) => reply.send({ status: 'ok' }));
app.get('/metrics', (_request, reply) => reply.send(stats));

await app.listen({ port, host });
process.stdout.write(`listening ${app.server.address().port}${batching ? ' (batching)' : ''}\n`);
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    app.server.closeAllConnections?.();
    process.exit(0);
  });
}
