import { describe, expect, it } from 'vitest';
import { subscribes } from './event-outbox.js';

describe('which receivers a registry event goes to', () => {
  const webhook = (events: string[] | null, models?: string[]) => ({ type: 'webhook' as const, events, match: models ? { models } : {} });

  it('sends to a webhook whose patterns match the type and whose model globs match the model', () => {
    expect(subscribes(webhook(['alias.*']), { type: 'alias.moved', model: 'credit' })).toBe(true);
    expect(subscribes(webhook(['alias.*'], ['credit-*']), { type: 'alias.moved', model: 'credit-eu' })).toBe(true);
    expect(subscribes(webhook(['alias.*'], ['credit-*']), { type: 'alias.moved', model: 'fraud' })).toBe(false);
    expect(subscribes(webhook(['rollout.aborted']), { type: 'rollout.step', model: 'credit' })).toBe(false);
  });

  it('sends nothing to a receiver that subscribed to no events, or that is not a webhook', () => {
    expect(subscribes(webhook(null), { type: 'alias.moved', model: 'credit' })).toBe(false);
    expect(subscribes(webhook([]), { type: 'alias.moved', model: 'credit' })).toBe(false);
    expect(subscribes({ type: 'pagerduty', events: ['*'], match: {} }, { type: 'alias.moved', model: 'credit' })).toBe(false);
  });
});
