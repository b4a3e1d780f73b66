// Scenario 9: gRPC against its own limit. Modelgate's gRPC ModelInfer (monitoring
// on: live sketches and the prediction log; the admin API key in the
// `authorization` metadata) and the bare @grpc/grpc-js anchor
// (bench/bare-grpc-server.mjs: same proto, same onnxruntime session, same
// model) are loaded by h2load with the same wire bytes (one length-prefixed
// ModelInferRequest of the fixture's first row), the same connections and
// streams, pinned apart from the server with taskset where the machine has
// the cores, in BENCH_GRPC_ROUNDS (5) interleaved rounds (Modelgate first in
// odd rounds, the anchor first in even ones), every server started afresh
// each round. REST /v1 on the same Modelgate, loaded by h2load over
// HTTP/1.1 with as many connections as the gRPC run has streams in flight,
// gives gRPC ÷ REST for information.
// h2load counts an HTTP 200 as a success whatever grpc-status the trailers
// carry, so each server's answers are checked apart: one @grpc/grpc-js call
// of the same bytes before and after each load (grpc-status 0, the fixture's
// score), and the server's own OK/error counters around it (an error, or
// fewer OK answers than h2load counted, is an error in the table).
// Bar: Modelgate gRPC >= 0.80 x the bare grpc-js server (medians).
import fs from 'node:fs';
import path from 'node:path';
import { QUICK, S, numEnv } from '../lib/settings.mjs';
import { fmtInt, log } from '../lib/log.mjs';
import { waitForQuiet } from '../lib/cpu.mjs';
import { freePort } from '../lib/http.mjs';
import { measurements } from '../lib/measure.mjs';
import { metricsDelta, scrape } from '../lib/metrics.mjs';
import { figureRow, ratioRow } from '../lib/report.mjs';
import { withModelgate } from '../lib/servers.mjs';
import { h2loadMissing, pinServer, pinningPlan, runH2load } from '../lib/h2load.mjs';
import { checkCall, inferRequestBytes, METHOD, servedCounts, withBareGrpc } from '../lib/grpc.mjs';

const BAR = 0.8;
const MIN_ROUNDS = 5;
const G = {
  rounds: Math.max(1, Math.floor(numEnv('BENCH_GRPC_ROUNDS', QUICK ? 1 : MIN_ROUNDS))),
  connections: Math.max(1, Math.floor(numEnv('BENCH_GRPC_CONNECTIONS', 5))),
  streams: Math.max(1, Math.floor(numEnv('BENCH_GRPC_STREAMS', 10))),
  bareBatch: process.env.BENCH_GRPC_BARE_BATCH === '1',
};

async function load(h, server, plan, { label, target, protocol, url, dataFile, headers, h1 }) {
  const quiet = await waitForQuiet(server.rec.pid);
  const before = await servedCounts(server, protocol);
  const metricsBefore = await scrape(server);
  const conns = h1 ? G.connections * G.streams : G.connections;
  log(`${label}: warm-up ${S.warmupS}s + ${S.durationS}s, h2load ${h1 ? `HTTP/1.1, ${conns} connections` : `h2c, ${conns} connections x ${G.streams} streams`}`);
  const r = await runH2load({ url, dataFile, headers, connections: conns, streams: G.streams, h1, seconds: S.durationS, warmupS: S.warmupS, cpus: plan.loadgen, serverPid: server.rec.pid, workDir: h.workDir });
  const after = await servedCounts(server, protocol);
  // Modelgate's rows per onnxruntime run: whether it batched where the bare anchor runs one call at a time.
  const mg = metricsDelta(metricsBefore, await scrape(server));
  const served = { ok: after.ok - before.ok, errors: after.errors - before.errors };
  // Answers h2load saw as 200 that the server did not count as OK (a grpc-status other than 0, say).
  const unseen = Math.max(0, r.ok - served.ok);
  // A call the server answered with an error is counted once, whether h2load saw it as a 200 or not.
  const m = { label, server: server.name, target, kind: 'peak', ...r, errors: r.errors + Math.max(served.errors, unseen), served, unseen_ok: unseen, others_before_pct: quiet, modelgate: mg };
  if (m.cpu && m.cpu.others_pct > S.noisyCpuPct) m.noisy = true;
  measurements.push(m);
  log(`${label}: ${fmtInt(m.rps)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms; server counted ${served.ok} OK, ${served.errors} errors${unseen ? `, ${unseen} fewer OK than h2load saw` : ''}${mg?.mean_rows_per_inference ? `, rows/inference ${mg.mean_rows_per_inference}` : ''}${m.cpu ? `; cpu server ${m.cpu.server_pct}% load ${m.cpu.loadgen_pct}% others ${m.cpu.others_pct}%` : ''}`);
  return m;
}

export default {
  name: 'grpc',
  number: 9,
  once: true,
  async run(h) {
    const missing = h2loadMissing();
    if (missing) {
      h.facts.grpc = { skipped: missing };
      log(`grpc: skipped: ${missing}`);
      return;
    }
    const plan = pinningPlan();
    const { message, framed } = inferRequestBytes(h.work.rows[0].values);
    const expected = h.work.first.p1;
    const grpcFile = path.join(h.workDir, 'grpc-infer.bin');
    const restFile = path.join(h.workDir, 'v1-one-row.json');
    fs.writeFileSync(grpcFile, framed);
    fs.writeFileSync(restFile, JSON.stringify(h.work.first.v1));
    h.facts.grpc = { pinning: plan, ...G, rounds: G.rounds, request_bytes: framed.length, rest_body_bytes: fs.statSync(restFile).size, checks: [] };
    log(`grpc: ${plan.note}; ${G.rounds} round(s), ${G.connections} connections x ${G.streams} streams`);

    const grpcHeaders = (key) => ['content-type: application/grpc', 'te: trailers', `authorization: Bearer ${key}`];
    const modelgate = () =>
      withModelgate(h, 'grpc (monitoring on)', { GRPC_PORT: String(h.facts.grpc.nextPort), MODELGATE_MONITOR_SKETCHES: 'true', MODELGATE_PREDICTION_LOG: 'postgres' }, async (srv) => {
        const key = h.db.key;
        const port = h.facts.grpc.nextPort;
        await checkCall(port, message, key, expected, srv.name);
        pinServer(srv.rec.pid, plan.server);
        await load(h, srv, plan, { label: 'grpc-modelgate', target: 'grpc', protocol: 'grpc', url: `http://127.0.0.1:${port}${METHOD}`, dataFile: grpcFile, headers: grpcHeaders(key) });
        await checkCall(port, message, key, expected, `${srv.name} after the load`);
        await load(h, srv, plan, { label: 'grpc-rest-v1', target: 'v1', protocol: 'v1', url: `${srv.base}/v1/models/bc/predict`, dataFile: restFile, headers: ['content-type: application/json', `authorization: Bearer ${key}`], h1: true });
      });
    const bare = () =>
      withBareGrpc(h, { batch: G.bareBatch, message, expected }, async (srv) => {
        pinServer(srv.rec.pid, plan.server);
        await load(h, srv, plan, { label: 'grpc-bare', target: 'grpc', protocol: 'grpc', url: `http://127.0.0.1:${srv.port}${METHOD}`, dataFile: grpcFile, headers: grpcHeaders(h.db.key) });
        await checkCall(srv.port, message, null, expected, `${srv.name} after the load`);
      });
    for (let round = 1; round <= G.rounds; round++) {
      log(`grpc: round ${round} of ${G.rounds}`);
      h.facts.grpc.nextPort = await freePort();
      // Modelgate first in round 1: its API key (sent to both, so both get the same bytes) exists from then on.
      for (const run of round % 2 ? [modelgate, bare] : [bare, modelgate]) await run();
    }
    delete h.facts.grpc.nextPort;
  },
  rows(h) {
    const f = h.facts.grpc;
    if (!f) return [];
    if (f.skipped) return [{ scenario: '9 grpc', server: `skipped: ${f.skipped}`, rps: null, result: 'SKIP', non2xx: 0, errors: 0 }];
    const rows = [];
    const shape = `${G.connections} conn x ${G.streams} streams`;
    ratioRow(rows, '9 grpc', `bare grpc-js${G.bareBatch ? ' batching' : ''} (h2load, ${shape})`, 'grpc-bare', undefined, undefined, f.pinning.note);
    ratioRow(rows, '9 grpc', `modelgate gRPC ModelInfer (${shape})`, 'grpc-modelgate', 'grpc-bare', BAR, `ratio = modelgate gRPC / bare grpc-js; ${f.pinning.note}`);
    const bar = rows.at(-1);
    if (bar && bar.runs < MIN_ROUNDS && /^(PASS|FAIL)/.test(bar.result)) bar.result = `${bar.result.replace(/^PASS|^FAIL/, (x) => x.toLowerCase())} (${bar.runs} of ${MIN_ROUNDS} rounds)`;
    ratioRow(rows, '9 grpc', `modelgate REST /v1 (h2load HTTP/1.1, ${G.connections * G.streams} conn)`, 'grpc-rest-v1', undefined, undefined, 'information');
    const g = h.combine('grpc-modelgate');
    const r = h.combine('grpc-rest-v1');
    if (g?.rps && r?.rps) figureRow(rows, '9 grpc', 'gRPC / REST /v1 (information, no bar)', Math.round((g.rps / r.rps) * 1000) / 1000, '', undefined);
    return rows;
  },
};
