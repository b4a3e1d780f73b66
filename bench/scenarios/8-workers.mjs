// Scenario 8: /v1 peak with MODELGATE_WORKERS=1 and =2 on the same database,
// interleaved in each round, for information (no bar): on a machine of two
// cores the load generator competes with the workers for them, which
// BENCH_LOADGEN_CPUS (taskset) can only move, not remove. Needs a PostgreSQL
// server (BENCH_DATABASE_URL or DATABASE_URL): workers cannot share the
// embedded one. Not run by default.
import { BenchError } from '../lib/log.mjs';
import { ratioRow } from '../lib/report.mjs';
import { withModelgate } from '../lib/servers.mjs';

export default {
  name: 'workers',
  number: 8,
  byDefault: false,
  async run(h) {
    if (!h.db.databaseUrl) throw new BenchError('the workers scenario needs BENCH_DATABASE_URL (or DATABASE_URL): workers cannot share the embedded PostgreSQL');
    for (const n of [1, 2]) {
      await withModelgate(h, `workers-${n}`, { MODELGATE_WORKERS: String(n) }, (srv) => h.peak(srv, 'v1', `workers-${n}-peak`));
    }
  },
  rows(h) {
    const rows = [];
    const pin = h.S.loadgenCpus ? `, load generator on cpu ${h.S.loadgenCpus}` : ', load generator not pinned';
    ratioRow(rows, '8 workers', 'modelgate /v1, 1 worker', 'workers-1-peak', undefined, undefined, `info${pin}`);
    ratioRow(rows, '8 workers', 'modelgate /v1, 2 workers', 'workers-2-peak', 'workers-1-peak', undefined, `ratio = 2 workers / 1 worker${pin}`);
    return rows;
  },
};
