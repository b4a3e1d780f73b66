import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastCounter, FastHistogram } from '../metrics/fast-metrics.js';
import { aggregateWorkerMetrics } from './metrics-aggregation.js';

function workerRegistry(requests: number, loaded: number, queued: number, latency: number[]) {
  const registry = new Registry();
  const counter = new FastCounter({ name: 'modelgate_prediction_requests_total', help: 'h', labelNames: ['model'], registers: [registry] });
  counter.labels('m').inc(requests);
  const hist = new FastHistogram({ name: 'modelgate_prediction_duration_seconds', help: 'h', labelNames: ['model'], buckets: [0.01, 0.1], registers: [registry] });
  for (const v of latency) hist.labels('m').observe(v);
  new Gauge({ name: 'modelgate_model_loaded', help: 'h', labelNames: ['model'], registers: [registry] }).set({ model: 'm' }, loaded);
  new Gauge({ name: 'modelgate_telemetry_queue_depth', help: 'h', labelNames: ['kind'], registers: [registry] }).set({ kind: 'prediction' }, queued);
  collectDefaultMetrics({ register: registry });
  return registry;
}

const line = (text: string, series: string) => text.split('\n').find((l) => l.startsWith(`${series} `))?.slice(series.length + 1);

describe('metrics of a cluster', () => {
  it('sums counters and histograms over workers, sums queue depths, and takes the max of state gauges', async () => {
    const a = workerRegistry(3, 1, 10, [0.005, 0.05]);
    const b = workerRegistry(4, 1, 5, [0.5]);
    const text = await aggregateWorkerMetrics([await a.getMetricsAsJSON(), await b.getMetricsAsJSON()] as never);
    expect(line(text, 'modelgate_prediction_requests_total{model="m"}')).toBe('7');
    expect(line(text, 'modelgate_prediction_duration_seconds_count{model="m"}')).toBe('3');
    expect(/^modelgate_prediction_duration_seconds_bucket\{[^}]*le="0.1"[^}]*\} (\d+)$/m.exec(text)?.[1]).toBe('2');
    expect(line(text, 'modelgate_model_loaded{model="m"}')).toBe('1');
    expect(line(text, 'modelgate_telemetry_queue_depth{kind="prediction"}')).toBe('15');
    // prom-client's own metrics keep their aggregators (the Node.js version is the first worker's, not a sum).
    expect(text).toMatch(/^nodejs_version_info\{.*\} 1$/m);
  });
});
