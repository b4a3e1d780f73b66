// Scenario 3: what monitoring costs. /v1 peak with telemetry on (scenario 1's
// default server) against a server with MODELGATE_TELEMETRY_QUEUE_SIZE=0.
// Bar: on >= 0.90 x off.
import { withModelgate } from '../lib/servers.mjs';
import { ratioRow } from '../lib/report.mjs';

const BAR = 0.9;

export default {
  name: 'telemetry',
  number: 3,
  needs: ['peak'],
  async run(h, { round }) {
    await withModelgate(h, 'telemetry off', { MODELGATE_TELEMETRY_QUEUE_SIZE: '0' }, async (srv) => {
      await h.peak(srv, 'v1', 'v1-telemetry-off');
      // Not a bar: the same fixed rate as /v1 with telemetry on, to show what telemetry does to p99.
      // In the last round, as scenario 2: the rate is then the median of every round's /v1 peak.
      if (h.selected('latency') && round === h.S.rounds) await h.paced(srv, 'v1', 'v1-paced-telemetry-off', h.rateFor('v1-peak'));
    });
  },
  rows() {
    const rows = [];
    ratioRow(rows, '3 telemetry', '/v1 telemetry off', 'v1-telemetry-off');
    ratioRow(rows, '3 telemetry', '/v1 telemetry on (default)', 'v1-peak', 'v1-telemetry-off', BAR, 'ratio = on / off');
    return rows;
  },
};
