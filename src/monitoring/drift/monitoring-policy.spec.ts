import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, featureThresholds, isIgnored, resolvePolicy } from './monitoring-policy.js';

describe('monitoring policy', () => {
  it('fills every key PRODUCT.md defaults when the policy is empty', () => {
    expect(resolvePolicy({})).toEqual({ ...DEFAULT_POLICY, features: {} });
    expect(DEFAULT_POLICY).toMatchObject({ windowSeconds: 300, minSamples: 500, psiThreshold: 0.2, ksAlpha: 0.05, ksMinStatistic: 0.1, jsMinDistance: 0.1 });
  });

  it('reads flat keys and lets a feature override any threshold', () => {
    const p = resolvePolicy({ window_seconds: 2, min_samples: 50, psi_threshold: 0.3, features: { age: { missing_rate_max: 0.5, ks_alpha: 0.01 } } });
    expect(p).toMatchObject({ windowSeconds: 2, minSamples: 50, psiThreshold: 0.3 });
    expect(featureThresholds(p, 'age')).toMatchObject({ missingRateMax: 0.5, ksAlpha: 0.01, psiThreshold: 0.3 });
    expect(featureThresholds(p, 'income')).toMatchObject({ missingRateMax: 0.05, ksAlpha: 0.05 });
  });

  it('maps a method and threshold override onto that method alone', () => {
    const p = resolvePolicy({ features: { a: { method: 'ks', threshold: 0.3 }, b: { method: 'jensen_shannon', threshold: 0.2 }, c: { ignore: true } } });
    expect(featureThresholds(p, 'a')).toMatchObject({ only: 'ks', ksMinStatistic: 0.3 });
    expect(featureThresholds(p, 'b')).toMatchObject({ only: 'jensen_shannon', jsMinDistance: 0.2 });
    expect(isIgnored(p, 'c')).toBe(true);
    expect(isIgnored(p, 'a')).toBe(false);
  });

  it('falls back to the default for a value of the wrong type', () => {
    expect(resolvePolicy({ min_samples: 'many' }).minSamples).toBe(500);
  });
});
