import { describe, expect, it } from 'vitest';
import { buildCalibration } from '../monitoring/estimate/calibration.js';
import { estimatePerformance, type PerformanceEstimate } from '../monitoring/estimate/cbpe.js';
import { scoreHistogram } from '../monitoring/estimate/score-histogram.js';
import { ESTIMATE_METRIC_NAMES, EstimateMetrics } from './estimate-metrics.js';
import { Metrics } from './metrics.js';

describe('EstimateMetrics', () => {
  it('exports the estimated AUC and its band per series, and drops series no longer estimated', async () => {
    const metrics = new Metrics();
    const gauges = new EstimateMetrics(metrics);
    const scores = Array.from({ length: 1000 }, (_, i) => (i + 0.5) / 1000);
    const labels = scores.map((s, i) => (i % 10 < s * 10 ? 1 : 0));
    const estimate = estimatePerformance(buildCalibration(scores, labels), scoreHistogram(scores)) as PerformanceEstimate;
    expect(estimate.estimated).toBe(true);
    gauges.setFrom([{ model: 'loan', version: 2, variant: 'production', estimate }]);
    const text = await metrics.registry.metrics();
    for (const name of ESTIMATE_METRIC_NAMES) expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
    expect(text).toContain(`modelgate_model_estimated_auc{model="loan",version="2",variant="production"} ${estimate.estimated_auc!.value}`);
    expect(text).toContain(`modelgate_model_estimated_auc_low{model="loan",version="2",variant="production"} ${estimate.estimated_auc!.low}`);
    gauges.setFrom([]);
    expect(await metrics.registry.metrics()).not.toContain('modelgate_model_estimated_auc{');
  });
});
