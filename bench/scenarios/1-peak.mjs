// Scenario 1: closed-loop peak of the bare server, /v1 and V2. Bar: each
// Modelgate route reaches 0.70 of the bare server's req/s.
import { CROSS } from '../lib/settings.mjs';
import { withBare, withModelgate } from '../lib/servers.mjs';
import { ratioRow } from '../lib/report.mjs';

const BAR = 0.7;

export default {
  name: 'peak',
  number: 1,
  async run(h) {
    await withBare(h, async (srv) => {
      await h.peak(srv, 'bare', 'bare-peak');
      if (CROSS) await h.peak(srv, 'bare', 'bare-peak-x', CROSS);
    });
    await withModelgate(h, 'default', {}, async (srv) => {
      await h.peak(srv, 'v1', 'v1-peak');
      await h.peak(srv, 'v2', 'v2-peak');
      if (CROSS) {
        await h.peak(srv, 'v1', 'v1-peak-x', CROSS);
        await h.peak(srv, 'v2', 'v2-peak-x', CROSS);
      }
    });
  },
  rows() {
    const rows = [];
    ratioRow(rows, '1 peak', 'bare node:http', 'bare-peak');
    ratioRow(rows, '1 peak', 'modelgate /v1 predict', 'v1-peak', 'bare-peak', BAR, 'ratio = v1 / bare');
    ratioRow(rows, '1 peak', 'modelgate /v2 infer', 'v2-peak', 'bare-peak', BAR, 'ratio = v2 / bare');
    if (CROSS) {
      const sc = `1 peak ${CROSS}`;
      ratioRow(rows, sc, 'bare node:http', 'bare-peak-x');
      ratioRow(rows, sc, 'modelgate /v1 predict', 'v1-peak-x', 'bare-peak-x', BAR, `ratio = v1 / bare, both loaded by ${CROSS}`);
      ratioRow(rows, sc, 'modelgate /v2 infer', 'v2-peak-x', 'bare-peak-x', BAR, `ratio = v2 / bare, both loaded by ${CROSS}`);
    }
    return rows;
  },
};
