import { describe, expect, it } from 'vitest';
import { FEATURE_METRIC_NAMES, FeatureMetrics } from './feature-metrics.js';
import { Metrics } from './metrics.js';

describe('feature look-up metrics', () => {
  it('exports every feature metric with its help text and counts per view and outcome', async () => {
    const m = new Metrics();
    const f = new FeatureMetrics(m);
    f.count('customer_profile', 'hit', 3);
    f.count('customer_profile', 'hit', 2);
    f.count('customer_profile', 'stale', 0);
    f.observeRead('redis', 'ok', 0.0004);
    f.setCircuitOpen('redis', true);
    const text = await m.render();
    for (const name of FEATURE_METRIC_NAMES) expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
    expect(text).toContain('modelgate_feature_lookups_total{view="customer_profile",outcome="hit"} 5');
    expect(text).not.toContain('outcome="stale"');
    expect(text).toContain('modelgate_feature_lookup_duration_seconds_bucket{store="redis",outcome="ok",le="0.0005"} 1');
    expect(text).toContain('modelgate_feature_store_circuit_open{store="redis"} 1');
  });
});
