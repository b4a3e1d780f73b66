import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';

/** One worker's registry as `registry.getMetricsAsJSON()` gives it. */
export type WorkerMetrics = MetricObjectWithValues<MetricValue<string>>[];

/**
 * Gauges whose workers' values add up (each worker has its own queue).
 * Every other gauge left at prom-client's default `sum` is the same state
 * seen by each worker (a version loaded, a circuit open, alerts read from
 * the database on scrape), so its workers' values are combined by `max`:
 * two workers with `modelgate_model_loaded 1` mean loaded, not 2.
 */
export const SUMMED_GAUGES: ReadonlySet<string> = new Set(['modelgate_telemetry_queue_depth']);

/**
 * `/metrics` of a cluster: every worker's registry combined into one text.
 * Counters and histograms sum (a request counted by either worker is one
 * request of the service); gauges follow `SUMMED_GAUGES`; a metric that
 * names its own aggregator (prom-client's process and Node.js metrics) keeps it.
 */
export function aggregateWorkerMetrics(workers: readonly WorkerMetrics[]): Promise<string> {
  const all = workers.map((registry) =>
    registry.map((m) => {
      const own = (m as { aggregator?: string }).aggregator;
      if (String(m.type) !== 'gauge' || (own !== undefined && own !== 'sum') || SUMMED_GAUGES.has(m.name)) return m;
      return { ...m, aggregator: 'max' };
    }),
  );
  return AggregatorRegistry.aggregate(all as Parameters<typeof AggregatorRegistry.aggregate>[0]).metrics();
}
