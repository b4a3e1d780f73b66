// Scenario 1: closed-loop peaks, Modelgate against three anchors, side by
// side in every round (BENCH_ROUNDS, 5), every server started afresh each
// round, anchors first in odd rounds and Modelgate first in even ones. Same
// model, same rows, same load generator and connections for all.
//
// Anchors (bench/lib/anchors.mjs): bare node:http + onnxruntime (one run per
// request), the same with same-turn micro-batching (the bars' anchor), and a
// hand-written Fastify route (one run per request). Modelgate with monitoring
// on (live sketches and the PostgreSQL prediction log, its defaults, set
// explicitly): /v1 predict, V2 infer with a JSON body, V2 infer with binary
// tensor data.
//
// Bars (medians of at least 5 rounds; fewer show a lower-case verdict):
// /v1 >= 0.80 x the batching anchor, V2 JSON and V2 binary >= 0.75 x it.
// Ratios against the unbatched anchor (the older bar, >= 0.70) and
// the Fastify route are shown for information.
import { CROSS } from '../lib/settings.mjs';
import { withAnchor } from '../lib/anchors.mjs';
import { withModelgate } from '../lib/servers.mjs';
import { figureRow, ratioRow, requireRounds } from '../lib/report.mjs';

export const MIN_ROUNDS = 5;
/** Monitoring on, as Modelgate ships (set explicitly so that an inherited variable cannot turn it off). */
export const MONITORING = { MODELGATE_MONITOR_SKETCHES: 'true', MODELGATE_PREDICTION_LOG: 'postgres' };
const ANCHOR_LABELS = { bare: 'bare-peak', batch: 'batch-peak', fastify: 'fastify-peak' };
const ROUTES = [
  ['v1', 'v1-peak', 'modelgate /v1 predict', 0.8],
  ['v2', 'v2-peak', 'modelgate V2 infer JSON', 0.75],
  ['v2bin', 'v2bin-peak', 'modelgate V2 infer binary', 0.75],
];

export default {
  name: 'peak',
  number: 1,
  async run(h, { round }) {
    const anchors = async () => {
      for (const [which, label] of Object.entries(ANCHOR_LABELS)) {
        await withAnchor(h, which, async (srv) => {
          await h.peak(srv, 'bare', label);
          if (CROSS) await h.peak(srv, 'bare', `${label}-x`, CROSS);
        });
      }
    };
    const modelgate = () =>
      withModelgate(h, 'default', MONITORING, async (srv) => {
        for (const [target, label] of ROUTES) await h.peak(srv, target, label);
        if (CROSS) for (const [target, label] of ROUTES) await h.peak(srv, target, `${label}-x`, CROSS);
      });
    for (const run of round % 2 ? [anchors, modelgate] : [modelgate, anchors]) await run();
  },
  rows(h) {
    const rows = [];
    const table = (sc, x, how) => {
      ratioRow(rows, sc, 'bare node:http batching (anchor)', `batch-peak${x}`, `bare-peak${x}`, undefined, `ratio = batching / one run per request${how}`);
      ratioRow(rows, sc, 'bare node:http', `bare-peak${x}`);
      ratioRow(rows, sc, 'fastify route', `fastify-peak${x}`, `bare-peak${x}`, undefined, `ratio = fastify / bare${how}`);
      for (const [, label, server, bar] of ROUTES) {
        ratioRow(rows, sc, server, `${label}${x}`, `batch-peak${x}`, bar, `ratio = ${server} / bare node:http batching${how}`);
        requireRounds(rows.at(-1), MIN_ROUNDS);
      }
      // The older figures, for information: against one run per request (the older bar, >= 0.70) and the Fastify route.
      const bare = h.combine(`bare-peak${x}`);
      const fastify = h.combine(`fastify-peak${x}`);
      for (const [, label, server] of ROUTES) {
        const c = h.combine(`${label}${x}`);
        if (!c?.rps) continue;
        const r3 = (b) => (b?.rps ? Math.round((c.rps / b.rps) * 1000) / 1000 : null);
        if (bare?.rps) figureRow(rows, sc, `${server} / bare (information)`, r3(bare), '', undefined, { note: `the older bar: >= 0.70 of bare node:http${how}` });
        if (fastify?.rps) figureRow(rows, sc, `${server} / fastify (information)`, r3(fastify), '', undefined, { note: how || undefined });
      }
    };
    table('1 peak', '', '');
    if (CROSS) table(`1 peak ${CROSS}`, '-x', `, all loaded by ${CROSS}`);
    return rows;
  },
};
