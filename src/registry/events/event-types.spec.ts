import { describe, expect, it } from 'vitest';
import { eventTypeMatches, isEventPattern } from './event-types.js';

describe('registry event type patterns', () => {
  it('matches a family with .*, everything with *, and otherwise only itself', () => {
    expect(eventTypeMatches('alias.*', 'alias.moved')).toBe(true);
    expect(eventTypeMatches('alias.*', 'alias.deleted')).toBe(true);
    expect(eventTypeMatches('alias.*', 'approval.requested')).toBe(false);
    expect(eventTypeMatches('*', 'rollback')).toBe(true);
    expect(eventTypeMatches('rollback', 'rollback')).toBe(true);
    expect(eventTypeMatches('rollout.*', 'rollback')).toBe(false);
  });

  it('accepts only patterns that can match a known type', () => {
    for (const p of ['*', 'alias.*', 'rollout.step', 'gate.refused', 'model.*']) expect(isEventPattern(p), p).toBe(true);
    for (const p of ['alias', 'alias.', 'nope.*', 'alias.renamed', '']) expect(isEventPattern(p), p).toBe(false);
  });
});
