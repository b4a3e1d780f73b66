import { describe, expect, it } from 'vitest';
import { deliversEvent, type NotificationEvent, RECEIVER_TYPES } from './receiver.js';

describe('which events each receiver kind is sent', () => {
  const table = (event: NotificationEvent) => RECEIVER_TYPES.filter((t) => deliversEvent(t, event));

  it('sends every kind the trigger and the resolve', () => {
    expect(table('trigger')).toEqual(['webhook', 'alertmanager', 'pagerduty']);
    expect(table('resolve')).toEqual(['webhook', 'alertmanager', 'pagerduty']);
  });

  it('sends acknowledge only to PagerDuty and keep-alives to everything but PagerDuty', () => {
    expect(table('acknowledge')).toEqual(['pagerduty']);
    expect(table('resend')).toEqual(['webhook', 'alertmanager']);
  });
});
