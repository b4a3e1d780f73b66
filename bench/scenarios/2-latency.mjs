// Scenario 2: open-loop latency at BENCH_RATE_PCT (80) % of each server's own
// peak, bare and /v1. Bar: p99 < 50 ms. The telemetry scenario adds /v1 with
// telemetry off at the same rate (no bar) when both run.
import { fmtInt } from '../lib/log.mjs';
import { withBare, withModelgate } from '../lib/servers.mjs';

const P99_MS = 50;

export default {
  name: 'latency',
  number: 2,
  needs: ['peak'],
  once: true,
  async run(h) {
    await withBare(h, (srv) => h.paced(srv, 'bare', 'bare-paced', h.rateFor('bare-peak')));
    await withModelgate(h, 'default', {}, (srv) => h.paced(srv, 'v1', 'v1-paced', h.rateFor('v1-peak')));
  },
  rows(h) {
    const rows = [];
    for (const [label, server, judged] of [
      ['bare-paced', 'bare node:http', true],
      ['v1-paced', 'modelgate /v1 predict', true],
      ['v1-paced-telemetry-off', '/v1 telemetry off (diagnostic)', false],
    ]) {
      const c = h.combine(label);
      if (!c) continue;
      const ok = c.non2xx === 0 && c.errors === 0;
      rows.push({
        ...c,
        scenario: `2 @${h.S.ratePct}% peak`,
        server: `${server} @${fmtInt(c.target_rate)}/s`,
        ratio: null,
        bar: judged ? `p99 < ${P99_MS} ms` : '',
        result: (!ok ? 'ERROR' : !judged ? 'info' : c.p99 !== null && c.p99 < P99_MS ? 'PASS' : 'FAIL') + (c.noisy ? '*' : ''),
        note: judged ? undefined : 'same rate as the /v1 row, on the telemetry-off server',
      });
    }
    return rows;
  },
};
