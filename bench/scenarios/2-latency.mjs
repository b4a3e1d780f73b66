// Scenario 2: open-loop latency. /v1 (monitoring on) at BENCH_RATE_PCT (80) %
// of its own peak (the median of scenario 1's rounds), and the batching
// anchor at the same rate, in BENCH_ROUNDS (5) interleaved rounds (the anchor
// first in odd rounds), every server started afresh. Runs after the last
// round of peaks, so that the rate is the median of all of them.
// Bar: /v1's p99 <= 2 x the batching anchor's p99 at that rate (medians of at
// least 5 rounds). The older bar, p99 < 50 ms, is shown beside it for
// information. The telemetry scenario adds /v1 with telemetry off at the same
// rate (no bar) when both run.
import { fmtInt } from '../lib/log.mjs';
import { withAnchor } from '../lib/anchors.mjs';
import { withModelgate } from '../lib/servers.mjs';
import { requireRounds } from '../lib/report.mjs';
import { MIN_ROUNDS, MONITORING } from './1-peak.mjs';

const P99_FACTOR = 2;
const OLD_P99_MS = 50;

export default {
  name: 'latency',
  number: 2,
  needs: ['peak'],
  lastRound: true,
  async run(h) {
    const rate = h.rateFor('v1-peak');
    h.facts.latency = { rate, rate_pct: h.S.ratePct, of: 'median /v1 peak of scenario 1', v1_peak_rps: h.combine('v1-peak').rps, rounds: h.S.rounds };
    const anchor = () => withAnchor(h, 'batch', (srv) => h.paced(srv, 'bare', 'batch-paced', rate));
    const modelgate = () => withModelgate(h, 'default', MONITORING, (srv) => h.paced(srv, 'v1', 'v1-paced', rate));
    for (let round = 1; round <= h.S.rounds; round++) {
      for (const run of round % 2 ? [anchor, modelgate] : [modelgate, anchor]) await run();
    }
  },
  rows(h) {
    const rows = [];
    const scenario = `2 @${h.S.ratePct}% /v1 peak`;
    const anchor = h.combine('batch-paced');
    const row = (c, server, extra) => {
      const ok = c.non2xx === 0 && c.errors === 0;
      rows.push({ ...c, scenario, server: `${server} @${fmtInt(c.target_rate)}/s`, ratio: null, bar: '', result: (ok ? 'info' : 'ERROR') + (c.noisy ? '*' : ''), ...extra });
      return rows.at(-1);
    };
    if (anchor) row(anchor, 'bare node:http batching (anchor)', { note: 'same rate as the /v1 row' });
    const v1 = h.combine('v1-paced');
    if (v1) {
      const r = row(v1, 'modelgate /v1 predict', {});
      const ratio = anchor?.p99 && v1.p99 !== null ? Math.round((v1.p99 / anchor.p99) * 1000) / 1000 : null;
      r.ratio = ratio;
      r.bar = `p99 <= ${P99_FACTOR} x anchor`;
      r.against = anchor ? { label: 'batch-paced', rps: anchor.rps, p99: anchor.p99, runs: anchor.runs, quiet_runs: anchor.quiet_runs } : null;
      r.note = `ratio = /v1 p99 / batching anchor p99 at the same rate; the older bar p99 < ${OLD_P99_MS} ms: ${v1.p99 !== null && v1.p99 < OLD_P99_MS ? 'met' : 'not met'} (information)`;
      if (r.result.startsWith('info') && ratio !== null && !anchor.non2xx && !anchor.errors) r.result = (ratio <= P99_FACTOR ? 'PASS' : 'FAIL') + (v1.noisy || anchor.noisy ? '*' : '');
      else if (anchor && (anchor.non2xx || anchor.errors)) r.result = 'ERROR';
      requireRounds(r, MIN_ROUNDS);
    }
    const off = h.combine('v1-paced-telemetry-off');
    if (off) row(off, '/v1 telemetry off (diagnostic)', { note: 'same rate as the /v1 row, on the telemetry-off server' });
    return rows;
  },
};
