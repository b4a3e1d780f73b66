import { describe, expect, it } from 'vitest';
import { monitoringPolicySchema } from './model.dto.js';

describe('monitoring policy validation', () => {
  it('accepts the drift and data-quality keys, flat and per feature', () => {
    const policy = {
      window_seconds: 60,
      min_samples: 200,
      chi2_alpha: 0.01,
      missing_rate_max: 0.1,
      out_of_range_max: 0.02,
      unseen_rate_max: 0.005,
      features: { age: { missing_rate_max: 0.3, ks_alpha: 0.01 }, region: { method: 'jensen_shannon', threshold: 0.2 }, id: { ignore: true } },
    };
    expect(monitoringPolicySchema.parse(policy)).toEqual(policy);
  });

  it('refuses a rate outside [0, 1], an alpha of 1 and an unknown feature key', () => {
    expect(monitoringPolicySchema.safeParse({ missing_rate_max: 1.5 }).success).toBe(false);
    expect(monitoringPolicySchema.safeParse({ chi2_alpha: 1 }).success).toBe(false);
    expect(monitoringPolicySchema.safeParse({ features: { age: { psi: 0.1 } } }).success).toBe(false);
  });

  it('accepts the alert and performance keys, with severity and runbook flat or per rule', () => {
    const policy = {
      min_labels: 100,
      auc_min: 0.7,
      auc_margin: 0.03,
      latency_p99_ms: 50,
      latency_regression_factor: 1.5,
      error_rate_max: 0.02,
      for_windows: 1,
      resolve_windows: 3,
      drift_min_features: 2,
      severity: { auc: 'critical', feature_drift: 'info' },
      runbook_url: 'https://runbooks.example.com/credit',
    };
    expect(monitoringPolicySchema.parse(policy)).toEqual(policy);
    expect(monitoringPolicySchema.parse({ severity: 'error', runbook_url: { auc: 'https://x.example/auc' } })).toBeTruthy();
  });

  it('refuses an unknown rule, an unknown severity, a non-http runbook and a regression factor of 1', () => {
    expect(monitoringPolicySchema.safeParse({ severity: { latency: 'warning' } }).success).toBe(false);
    expect(monitoringPolicySchema.safeParse({ severity: 'page-me' }).success).toBe(false);
    expect(monitoringPolicySchema.safeParse({ runbook_url: 'javascript:alert(1)' }).success).toBe(false);
    expect(monitoringPolicySchema.safeParse({ latency_regression_factor: 1 }).success).toBe(false);
    expect(monitoringPolicySchema.safeParse({ for_windows: 0 }).success).toBe(false);
  });
});
