/** One sample of a prom-client metric, as `metric.get()` returns it. */
export interface Sample {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

export interface StatsSources {
  requests: Sample[];
  errors: Sample[];
  duration: Sample[];
  inference: Sample[];
  batchRows: Sample[];
}

const NS = 1e9;

/**
 * Triton's statistics extension from the metrics serving already keeps:
 * `success` is answered requests and their gateway latency; `fail` the
 * failed ones; `compute_infer` the onnxruntime runs; `queue` the rest of
 * the latency (waiting for the micro-batch and reading the request), which
 * is the latency minus the run time. Per version, summed over variants and
 * protocols.
 */
export function modelStats(model: string, versions: number[], s: StatsSources) {
  const sum = (samples: Sample[], version: number, suffix?: string) =>
    samples
      .filter((x) => x.labels.model === model && String(x.labels.version) === String(version) && (suffix === undefined || x.metricName?.endsWith(suffix)))
      .reduce((a, x) => a + x.value, 0);
  return {
    model_stats: versions.map((v) => {
      const requests = sum(s.requests, v);
      const failed = sum(s.errors, v);
      const successCount = Math.max(0, requests - failed);
      const latencyNs = Math.round(sum(s.duration, v, '_sum') * NS);
      const runs = sum(s.inference, v, '_count');
      const computeNs = Math.round(sum(s.inference, v, '_sum') * NS);
      return {
        name: model,
        version: String(v),
        last_inference: 0,
        inference_count: sum(s.batchRows, v, '_sum'),
        execution_count: runs,
        inference_stats: {
          success: { count: successCount, ns: latencyNs },
          fail: { count: failed, ns: 0 },
          queue: { count: successCount, ns: Math.max(0, latencyNs - computeNs) },
          compute_input: { count: 0, ns: 0 },
          compute_infer: { count: runs, ns: computeNs },
          compute_output: { count: 0, ns: 0 },
        },
        batch_stats: [],
      };
    }),
  };
}
