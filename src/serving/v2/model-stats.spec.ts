import { describe, expect, it } from 'vitest';
import { modelStats } from './model-stats.js';

describe('modelStats', () => {
  it('sums one version over variants and protocols and derives the queue time from latency minus run time', () => {
    const l = (version: number, extra: Record<string, string> = {}) => ({ model: 'm', version: String(version), ...extra });
    const stats = modelStats('m', [1], {
      requests: [{ labels: l(1, { variant: 'a' }), value: 3 }, { labels: l(1, { variant: 'b' }), value: 2 }, { labels: l(2), value: 9 }],
      errors: [{ labels: l(1), value: 1 }],
      duration: [{ labels: l(1), value: 0.5, metricName: 'x_sum' }, { labels: l(1), value: 5, metricName: 'x_count' }],
      inference: [{ labels: l(1), value: 0.2, metricName: 'y_sum' }, { labels: l(1), value: 4, metricName: 'y_count' }],
      batchRows: [{ labels: l(1), value: 12, metricName: 'z_sum' }],
    });
    expect(stats.model_stats[0]).toMatchObject({
      version: '1',
      inference_count: 12,
      execution_count: 4,
      inference_stats: { success: { count: 4, ns: 500_000_000 }, fail: { count: 1 }, queue: { count: 4, ns: 300_000_000 }, compute_infer: { count: 4, ns: 200_000_000 } },
    });
  });
});
