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
});
