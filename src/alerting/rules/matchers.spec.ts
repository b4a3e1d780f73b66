import { describe, expect, it } from 'vitest';
import { backoffMs, shouldGiveUp } from './backoff.js';
import { globMatches, receiverMatches, silenceMatches } from './matchers.js';

const alert = { model: 'credit-risk', rule: 'auc', severity: 'critical' };

describe('matching alerts', () => {
  it('matches a model glob with * as any run of characters and everything else literal', () => {
    expect(globMatches('credit-*', 'credit-risk')).toBe(true);
    expect(globMatches('credit-*', 'fraud')).toBe(false);
    expect(globMatches('a.b', 'axb')).toBe(false);
    expect(globMatches('*', 'anything')).toBe(true);
    expect(globMatches('credit', 'credit-risk')).toBe(false);
  });

  it('silences only when every matcher it names matches', () => {
    expect(silenceMatches({ model: 'credit-*' }, alert)).toBe(true);
    expect(silenceMatches({ model: 'credit-*', rule: 'feature_drift' }, alert)).toBe(false);
    expect(silenceMatches({ severity: 'critical', rule: 'auc' }, alert)).toBe(true);
    expect(silenceMatches({ severity: 'warning' }, alert)).toBe(false);
  });

  it('routes to a receiver by model globs and severities, everything when the lists are empty', () => {
    expect(receiverMatches(undefined, alert)).toBe(true);
    expect(receiverMatches({ models: [], severities: [] }, alert)).toBe(true);
    expect(receiverMatches({ models: ['fraud', 'credit-*'] }, alert)).toBe(true);
    expect(receiverMatches({ models: ['fraud'] }, alert)).toBe(false);
    expect(receiverMatches({ severities: ['warning'] }, alert)).toBe(false);
  });
});

describe('delivery backoff', () => {
  it('doubles from the base up to the cap, with jitter in the upper half', () => {
    expect(backoffMs(1, 1000, 60_000, () => 0)).toBe(500);
    expect(backoffMs(1, 1000, 60_000, () => 1)).toBe(1000);
    expect(backoffMs(3, 1000, 60_000, () => 1)).toBe(4000);
    expect(backoffMs(20, 1000, 60_000, () => 1)).toBe(60_000);
    expect(backoffMs(20, 1000, 60_000, () => 0)).toBe(30_000);
  });

  it('gives up once the notification is older than the give-up time', () => {
    expect(shouldGiveUp(0, 999, 1000)).toBe(false);
    expect(shouldGiveUp(0, 1000, 1000)).toBe(true);
  });
});
