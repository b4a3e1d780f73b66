import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS, Metrics } from './metrics.js';

/** ns per call of `fn`, best of several rounds (the least disturbed by GC and the other test process). */
function nsPerCall(fn: (i: number) => void, iterations = 1_000_000, rounds = 5): number {
  for (let i = 0; i < iterations / 10; i++) fn(i);
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn(i);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / iterations);
  }
  return best;
}

/**
 * Reports, does not assert, what one observation costs on the hot path,
 * beside prom-client's own API for the same work. Times depend on the
 * machine; the report is for the reader.
 */
describe('the cost of hot-path metrics', () => {
  it('reports ns per observation for bound handles and for prom-client', async () => {
    const m = new Metrics();
    const h = m.servingHandles('credit', 4, 'v4', 'v1');
    const observe = m.inferenceObserver('credit', 4);
    const http = m.httpHandles('POST', '/v1/models/:name/predict');
    const latencies = Float64Array.from({ length: 1024 }, (_, i) => (i % 97) / 1000);

    const reg = new Registry();
    const labelNames = ['model', 'version', 'variant', 'protocol'];
    const promCounter = new Counter({ name: 'c_total', help: 'h', labelNames, registers: [reg] });
    const promHistogram = new Histogram({ name: 'h_seconds', help: 'h', labelNames, buckets: [...LATENCY_BUCKETS], registers: [reg] });
    const labels = { model: 'credit', version: '4', variant: 'v4', protocol: 'v1' };
    const promCounterChild = promCounter.labels(labels);
    const promHistogramChild = promHistogram.labels(labels);

    const report = {
      'counter child inc': nsPerCall(() => h.requests.inc()),
      'histogram child observe': nsPerCall((i) => h.duration.observe(latencies[i & 1023])),
      'one prediction (requests + rows + duration)': nsPerCall((i) => {
        h.requests.inc();
        h.rows.inc(1);
        h.duration.observe(latencies[i & 1023]);
      }),
      'inference observer (duration + batch rows)': nsPerCall((i) => observe(8, latencies[i & 1023] / 100)),
      'servingHandles() lookup per request': nsPerCall(() => void m.servingHandles('credit', 4, 'v4', 'v1')),
      'http hook work on a bound route (status lookup + inc + duration)': nsPerCall((i) => {
        http.status(200).inc();
        http.duration.observe(latencies[i & 1023]);
      }),
      'httpHandles() lookup (done once per route at registration)': nsPerCall(() => void m.httpHandles('POST', '/v1/models/:name/predict')),
      'prom-client counter.inc(labels)': nsPerCall(() => promCounter.inc(labels), 200_000),
      'prom-client counter.labels(...).inc()': nsPerCall(() => promCounterChild.inc(), 200_000),
      'prom-client histogram.observe(labels, v)': nsPerCall((i) => promHistogram.observe(labels, latencies[i & 1023]), 200_000),
      'prom-client histogram.labels(...).observe(v)': nsPerCall((i) => promHistogramChild.observe(latencies[i & 1023]), 200_000),
    };
    console.log(
      'hot-path metric cost, ns per call:\n' +
        Object.entries(report)
          .map(([k, v]) => `  ${v.toFixed(1).padStart(7)}  ${k}`)
          .join('\n'),
    );
    // The handles counted every call: the loops did the work they report on.
    expect(h.requests.value).toBeGreaterThan(1_000_000);
    expect(h.duration.count).toBeGreaterThan(1_000_000);
  });
});
