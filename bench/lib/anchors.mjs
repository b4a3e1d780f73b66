// The anchors Modelgate's REST routes are judged against, each its own
// process on loopback, started and checked like Modelgate:
//
// - `bare`: bench/bare-server.mjs, node:http + onnxruntime-node, one run per request;
// - `batch`: the same with BATCH=1, same-turn micro-batching (the bars' anchor);
// - `fastify`: bench/fastify-server.mjs, a hand-written Fastify route, one run per request.
//
// Before any load each must answer every workload row right (the fixture's
// expected.json, 1e-5), sent all at once so that the batching one answers
// rows it ran together, and a two-row request row by row.
import path from 'node:path';
import { BENCH, CSV_FILE, MODEL_FILE } from './settings.mjs';
import { BenchError, log } from './log.mjs';
import { spawnChild, stopChild, tail } from './children.mjs';
import { freePort, http } from './http.mjs';
import { checkScore, waitFor } from './servers.mjs';

export const ANCHORS = {
  bare: { name: 'bare node:http', script: 'bare-server.mjs', batch: false },
  batch: { name: 'bare node:http batching', script: 'bare-server.mjs', batch: true },
  fastify: { name: 'fastify route', script: 'fastify-server.mjs', batch: false },
};

/** `nodeArgs` go before the script (`--cpu-prof`, say). */
export async function startAnchor(h, which, { nodeArgs = [] } = {}) {
  const a = ANCHORS[which];
  if (!a) throw new BenchError(`no anchor "${which}"; there are: ${Object.keys(ANCHORS).join(', ')}`);
  const port = await freePort();
  const rec = spawnChild(a.name, process.execPath, [...nodeArgs, path.join(BENCH, a.script)], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', MODEL: MODEL_FILE, FEATURES_CSV: CSV_FILE, BATCH: a.batch ? '1' : '0' },
    logFile: path.join(h.logDir, `${which}-server.log`),
  });
  const server = { rec, kind: 'anchor', anchor: which, name: a.name, base: `http://127.0.0.1:${port}`, headers: {}, port };
  await waitFor(rec, 'listening', async () => (await http('GET', `${server.base}/`)).status === 200, 30);
  await checkAnchor(h, server);
  return server;
}

async function checkAnchor(h, server) {
  const { rows, first } = h.work;
  const one = await http('POST', `${server.base}/`, { body: first.v1 });
  checkScore(server, 'POST /', one, one.json?.predictions?.[0]?.score, first.p1);
  const bodies = h.work.v1Bodies;
  const answers = await Promise.all(bodies.map((b) => http('POST', `${server.base}/`, { body: b })));
  answers.forEach((r, i) => checkScore(server, `POST / (row ${rows[i].index}, ${bodies.length} at once)`, r, r.json?.predictions?.[0]?.score, rows[i].p1));
  if (rows.length > 1) {
    const two = await http('POST', `${server.base}/`, { body: { instances: [...first.v1.instances, ...bodies[1].instances] } });
    checkScore(server, 'POST / (two rows, first)', two, two.json?.predictions?.[0]?.score, rows[0].p1);
    checkScore(server, 'POST / (two rows, second)', two, two.json?.predictions?.[1]?.score, rows[1].p1);
  }
  const stats = (await http('GET', `${server.base}/metrics`)).json;
  if (!stats || stats.requests < bodies.length + 1) throw new BenchError(`${server.name}: GET /metrics answered ${JSON.stringify(stats)}. Log tail:\n${tail(server.rec)}`);
  server.checked = { requests: stats.requests, runs: stats.runs, rows: stats.rows };
  log(`${server.name}: answers right (1e-5): ${rows.length} rows sent at once, a two-row request; ${stats.rows} rows in ${stats.runs} onnxruntime runs so far`);
}

export async function withAnchor(h, which, fn) {
  const srv = await startAnchor(h, which);
  try {
    return await fn(srv);
  } finally {
    await stopChild(srv.rec);
  }
}
