// Scenario 7: overload at the edge. The same /v1 service loaded closed-loop
// at the peak's connections (BENCH_CONNECTIONS) and at BENCH_OVERLOAD_FACTOR
// (8) times as many, interleaved in each round, by bench/overload-load.mjs,
// which keeps admitted (2xx) and shed (503) answers apart. Bars: the p99 of
// the admitted requests at 8x is at most 2x the p99 at the peak, and the
// shed requests are answered in under 5 ms (their p99).
import { fmtInt, log } from '../lib/log.mjs';
import { numEnv } from '../lib/settings.mjs';
import { waitForQuiet } from '../lib/cpu.mjs';
import { runLoad } from '../lib/load.mjs';
import { authOf, combine, measurements, targetUrl } from '../lib/measure.mjs';
import { figureRow } from '../lib/report.mjs';
import { withModelgate } from '../lib/servers.mjs';

const FACTOR = numEnv('BENCH_OVERLOAD_FACTOR', 8);
const P99_FACTOR_BAR = 2;
const SHED_P99_MS_BAR = 5;
/** The service's defaults unless BENCH_OVERLOAD_MAX_IN_FLIGHT / BENCH_OVERLOAD_MAX_DELAY_MS try other limits. */
const limits = () => {
  const e = {};
  if (process.env.BENCH_OVERLOAD_MAX_IN_FLIGHT) e.MODELGATE_MAX_IN_FLIGHT = process.env.BENCH_OVERLOAD_MAX_IN_FLIGHT;
  if (process.env.BENCH_OVERLOAD_MAX_DELAY_MS) e.MODELGATE_MAX_EVENT_LOOP_DELAY_MS = process.env.BENCH_OVERLOAD_MAX_DELAY_MS;
  return e;
};

async function measureAt(h, srv, label, connections) {
  await waitForQuiet(srv.rec.pid);
  log(`${label}: ${h.S.durationS}s closed loop at ${connections} connections (overload-load), after ${h.S.warmupS}s warm-up`);
  const url = targetUrl(srv, 'v1');
  const r = await runLoad('overload', { url, bodiesFile: h.work.files.v1, auth: authOf(srv), seconds: h.S.durationS, warmupS: h.S.warmupS, connections }, srv.rec.pid);
  const shed = r.raw.shed_ms;
  const m = { label, server: srv.name, target: 'v1', url: url.replace(srv.base, ''), kind: 'peak', connections, ...r, shed_rps: r.raw.shed_rps, shed_p50: shed.p50, shed_p99: shed.p99, shed_max: shed.max };
  // Shedding is this scenario's expected answer, not an error of the run.
  m.non2xx -= shed.count;
  if (m.cpu && m.cpu.others_pct > h.S.noisyCpuPct) m.noisy = true;
  log(
    `${label}: admitted ${fmtInt(m.rps)} req/s p50 ${m.p50} ms p99 ${m.p99} ms; shed ${fmtInt(m.shed_rps)} req/s p50 ${shed.p50} ms p99 ${shed.p99} ms` +
      `${m.cpu ? `; cpu server ${m.cpu.server_pct}% load ${m.cpu.loadgen_pct}% others ${m.cpu.others_pct}%` : ''}`,
  );
  measurements.push(m);
  return m;
}

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  return v.length ? (v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2) : null;
};

export default {
  name: 'overload',
  number: 7,
  async run(h) {
    await withModelgate(h, 'overload', limits(), async (srv) => {
      await measureAt(h, srv, 'overload-peak', h.S.connections);
      await measureAt(h, srv, 'overload-8x', h.S.connections * FACTOR);
    });
  },
  rows(h) {
    const rows = [];
    const peak = combine('overload-peak');
    const over = combine('overload-8x');
    if (!peak || !over) return rows;
    const ok = (c) => c.non2xx === 0 && c.errors === 0;
    rows.push({ ...peak, scenario: '7 overload', server: `/v1 at ${h.S.connections} conns`, ratio: null, bar: '', result: ok(peak) ? 'info' : 'ERROR' });
    const ratio = peak.p99 && over.p99 ? Math.round((over.p99 / peak.p99) * 1000) / 1000 : null;
    rows.push({
      ...over,
      scenario: '7 overload',
      server: `/v1 at ${h.S.connections * FACTOR} conns, admitted`,
      ratio,
      bar: `p99 <= ${P99_FACTOR_BAR}x peak's`,
      result: (!ok(over) ? 'ERROR' : ratio !== null && ratio <= P99_FACTOR_BAR ? 'PASS' : 'FAIL') + (over.noisy || peak.noisy ? '*' : ''),
      note: 'ratio = admitted p99 at 8x / p99 at the peak',
    });
    const shedP99 = median(measurements.filter((m) => m.label === 'overload-8x').map((m) => m.shed_p99));
    const shedRps = median(measurements.filter((m) => m.label === 'overload-8x').map((m) => m.shed_rps));
    figureRow(rows, '7 overload', `/v1 at ${h.S.connections * FACTOR} conns, shed p99 ms (${fmtInt(shedRps)} shed/s)`, shedP99, `< ${SHED_P99_MS_BAR} ms`, shedP99 === null ? undefined : shedP99 < SHED_P99_MS_BAR);
    return rows;
  },
};
