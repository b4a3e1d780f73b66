import { describe, expect, it } from 'vitest';
import { alertPolicy } from './alert-policy.js';
import { type CheckWindow, judgeAuc, judgeCheck, judgeDataQuality, judgeErrorRate, judgeFeatureDrift, judgeLatency, judgePredictionDrift } from './conditions.js';

const window = (w: Partial<CheckWindow> = {}): CheckWindow => ({
  judged: true,
  driftedFeatures: [],
  predictionDrifted: false,
  dataQualityFailed: [],
  requests: 1000,
  errors: 0,
  latencyP99Ms: 10,
  ...w,
});

describe('alert policy defaults', () => {
  it('applies the defaults of PRODUCT.md when the policy is empty', () => {
    const p = alertPolicy({});
    expect(p).toMatchObject({ forWindows: 2, resolveWindows: 2, minLabels: 200, aucMin: null, aucMargin: 0.05, latencyP99Ms: null, errorRateMax: 0.05, driftMinFeatures: 1 });
    expect(p.severity).toMatchObject({ auc: 'critical', feature_drift: 'warning', error_rate: 'warning' });
    expect(p.runbookUrl).toEqual({});
  });

  it('takes one severity and runbook for every rule, or a map by rule', () => {
    expect(alertPolicy({ severity: 'info' }).severity.auc).toBe('info');
    const p = alertPolicy({ severity: { feature_drift: 'critical' }, runbook_url: { auc: 'https://runbooks/auc' } });
    expect(p.severity).toMatchObject({ feature_drift: 'critical', auc: 'critical', data_quality: 'warning' });
    expect(p.runbookUrl).toEqual({ auc: 'https://runbooks/auc' });
    expect(alertPolicy({ runbook_url: 'https://r' }).runbookUrl.error_rate).toBe('https://r');
  });

  it('falls back to the default for a value of the wrong type', () => {
    expect(alertPolicy({ for_windows: 0, resolve_windows: 'x', severity: 'loud', error_rate_max: '0.1' })).toMatchObject({ forWindows: 2, resolveWindows: 2, errorRateMax: 0.05 });
  });
});

describe('rule conditions', () => {
  const p = alertPolicy({});

  it('leaves an unjudged drift window unjudged for every drift-check rule', () => {
    for (const rule of ['feature_drift', 'prediction_drift', 'data_quality'] as const) {
      expect(judgeCheck(rule, p, window({ judged: false, driftedFeatures: ['a'], predictionDrifted: true, dataQualityFailed: ['a'] }), null).judged).toBe(false);
    }
  });

  it('fires feature drift on any drifted feature, or on at least N when the policy says so', () => {
    expect(judgeFeatureDrift(p, window({ driftedFeatures: ['f1'] })).active).toBe(true);
    expect(judgeFeatureDrift(p, window()).active).toBe(false);
    const two = alertPolicy({ drift_min_features: 2 });
    expect(judgeFeatureDrift(two, window({ driftedFeatures: ['f1'] })).active).toBe(false);
    expect(judgeFeatureDrift(two, window({ driftedFeatures: ['f1', 'f2'] }))).toMatchObject({ active: true, summary: 'feature drift in f1, f2' });
  });

  it('judges prediction drift only when the window had a prediction test', () => {
    expect(judgePredictionDrift(p, window({ predictionDrifted: true }))).toMatchObject({ judged: true, active: true });
    expect(judgePredictionDrift(p, window({ predictionDrifted: null })).judged).toBe(false);
  });

  it('fires data quality when any feature failed a data-quality check', () => {
    expect(judgeDataQuality(p, window({ dataQualityFailed: ['age'] }))).toMatchObject({ active: true, details: { failed: ['age'] } });
    expect(judgeDataQuality(p, window()).active).toBe(false);
  });

  it('fires the error rate strictly above error_rate_max and cannot judge a window without requests', () => {
    expect(judgeErrorRate(p, window({ requests: 100, errors: 5 })).active).toBe(false);
    expect(judgeErrorRate(p, window({ requests: 100, errors: 6 })).active).toBe(true);
    expect(judgeErrorRate(p, window({ requests: 0, errors: 0 })).judged).toBe(false);
  });

  it('judges latency against the absolute bar and against the previous production version by a factor', () => {
    expect(judgeLatency(p, window({ latencyP99Ms: 500 }), 10).judged).toBe(false);
    const bar = alertPolicy({ latency_p99_ms: 100 });
    expect(judgeLatency(bar, window({ latencyP99Ms: 101 }), null).active).toBe(true);
    expect(judgeLatency(bar, window({ latencyP99Ms: 100 }), null).active).toBe(false);
    const factor = alertPolicy({ latency_regression_factor: 1.5 });
    expect(judgeLatency(factor, window({ latencyP99Ms: 16 }), 10).active).toBe(true);
    expect(judgeLatency(factor, window({ latencyP99Ms: 15 }), 10).active).toBe(false);
    expect(judgeLatency(factor, window({ latencyP99Ms: 100 }), null).judged).toBe(false);
  });

  it('fires AUC below auc_min or below the validation AUC minus the margin, with enough labels', () => {
    expect(judgeAuc(p, { labels: 1000, auc: 0.5, validationAuc: null }).judged).toBe(false);
    expect(judgeAuc(alertPolicy({ auc_min: 0.7 }), { labels: 1000, auc: 0.69, validationAuc: null }).active).toBe(true);
    expect(judgeAuc(alertPolicy({ auc_min: 0.7 }), { labels: 1000, auc: 0.7, validationAuc: null }).active).toBe(false);
    expect(judgeAuc(p, { labels: 1000, auc: 0.84, validationAuc: 0.9 }).active).toBe(true);
    expect(judgeAuc(p, { labels: 1000, auc: 0.86, validationAuc: 0.9 }).active).toBe(false);
    expect(judgeAuc(p, { labels: 199, auc: 0.5, validationAuc: 0.9 }).judged).toBe(false);
    expect(judgeAuc(alertPolicy({ min_labels: 50 }), { labels: 50, auc: 0.5, validationAuc: 0.9 })).toMatchObject({ judged: true, active: true });
  });
});
