// Scenario 4: micro-batching. /v1 peak with MODELGATE_BATCH_MAX_SIZE=0 and with
// each of BENCH_BATCH_WAITS as MODELGATE_BATCH_MAX_WAIT_MS, against scenario
// 1's default server, and with MODELGATE_INFERENCE_THREADS=1 (onnxruntime in
// an inference thread instead of on the event loop thread). Bar: mean rows
// per onnxruntime run > 1.
import { withModelgate } from '../lib/servers.mjs';
import { figureRow, ratioRow } from '../lib/report.mjs';

export default {
  name: 'batching',
  number: 4,
  needs: ['peak'],
  async run(h) {
    await withModelgate(h, 'batching off', { MODELGATE_BATCH_MAX_SIZE: '0' }, (srv) => h.peak(srv, 'v1', 'v1-batch-off'));
    await withModelgate(h, 'inference thread', { MODELGATE_INFERENCE_THREADS: '1' }, (srv) => h.peak(srv, 'v1', 'v1-inference-thread'));
    for (const w of h.S.batchWaits) {
      if (w === h.config.defaults.batchMaxWaitMs) continue; // that is the default run
      await withModelgate(h, `batch wait ${w} ms`, { MODELGATE_BATCH_MAX_WAIT_MS: String(w) }, (srv) => h.peak(srv, 'v1', `v1-wait-${w}`));
    }
  },
  rows(h) {
    const rows = [];
    const d = h.config.defaults;
    ratioRow(rows, '4 batching', '/v1 batching off (MAX_SIZE=0)', 'v1-batch-off');
    ratioRow(rows, '4 batching', `/v1 batching on (default ${d.batchMaxSize} rows, ${d.batchMaxWaitMs} ms)`, 'v1-peak', 'v1-batch-off', undefined, 'ratio = on / off');
    for (const w of h.S.batchWaits) {
      if (w === d.batchMaxWaitMs) continue;
      ratioRow(rows, '4 batching', `/v1 MAX_WAIT_MS=${w}`, `v1-wait-${w}`, 'v1-peak', undefined, 'ratio = this wait / default');
    }
    ratioRow(rows, '4 batching', '/v1 inference in a thread (INFERENCE_THREADS=1)', 'v1-inference-thread', 'v1-peak', undefined, 'ratio = inference thread / event loop thread (default)');
    const on = h.combine('v1-peak');
    if (on && on.rows_per_inference !== null) {
      figureRow(rows, '4 batching', 'mean rows per inference (/v1 peak, default)', on.rows_per_inference, '> 1', on.rows_per_inference > 1);
    }
    return rows;
  },
};
