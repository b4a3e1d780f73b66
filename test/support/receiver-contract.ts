import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type AlertReceiver, type AlertSnapshot, DeliveryFailed, type Notification, type NotificationEvent, type ReceiverConfig } from '../../src/alerting/receivers/receiver.js';
import { LoopbackReceiver, type Received } from './loopback-receiver.js';

/**
 * What every receiver kind must do, run against a real HTTP server on
 * loopback: deliver each event so the far side can tell the alert (by dedup
 * key) and the event apart, and fail loudly when the far side refuses or is
 * not there, so the outbox retries.
 */
export interface ReceiverContractContext {
  receiver: AlertReceiver;
  config(serverUrl: string): ReceiverConfig;
  /** The path the receiver posts to. */
  path: string;
  /** The dedup key and event the far side understood from one request; null for a request it ignores. */
  decode(r: Received): { dedupKey: string; event: NotificationEvent | 'firing' } | null;
  /** Events this kind is sent at all (acknowledge goes only to PagerDuty). */
  events: NotificationEvent[];
}

export function snapshot(over: Partial<AlertSnapshot> = {}): AlertSnapshot {
  return {
    id: 'alert-1',
    dedup_key: 'credit-risk/1/production/feature_drift',
    model: 'credit-risk',
    version: 1,
    variant: 'production',
    rule: 'feature_drift',
    severity: 'warning',
    state: 'firing',
    summary: 'feature drift in income',
    details: { drifted_features: ['income'] },
    runbook_url: 'https://runbooks.example/drift',
    started_at: '2026-12-01T20:00:00.000Z',
    resolved_at: null,
    resolve_reason: null,
    acknowledged_by: null,
    url: 'http://modelgate.example/api/v1/alerts/alert-1',
    ...over,
  };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the send to fail');
}

export function receiverContract(name: string, ctx: ReceiverContractContext): void {
  describe(`the ${name} receiver contract`, () => {
    let server: LoopbackReceiver;
    let config: ReceiverConfig;
    const note = (event: NotificationEvent, a: AlertSnapshot = snapshot()): Notification => ({ id: `n-${event}`, event, alert: a });

    beforeAll(async () => {
      server = await LoopbackReceiver.start();
      config = ctx.config(server.url);
    });
    afterAll(async () => {
      await server?.stop();
    });
    beforeEach(() => {
      server.received.length = 0;
      server.status = 200;
    });

    it('delivers a trigger the far side can attribute to the alert by its dedup key', async () => {
      await ctx.receiver.send(note('trigger'), config);
      expect(server.received).toHaveLength(1);
      expect(server.received[0].method).toBe('POST');
      expect(server.received[0].path).toBe(ctx.path);
      expect(server.received[0].headers['content-type']).toMatch(/application\/json/);
      expect(ctx.decode(server.received[0])).toEqual({ dedupKey: snapshot().dedup_key, event: 'trigger' });
    });

    it('delivers a resolve the far side tells apart from the trigger', async () => {
      const resolved = snapshot({ state: 'resolved', resolved_at: '2026-12-01T20:10:00.000Z' });
      await ctx.receiver.send(note('resolve', resolved), config);
      expect(ctx.decode(server.received[0])).toEqual({ dedupKey: resolved.dedup_key, event: 'resolve' });
    });

    it('fails with the status when the far side refuses, so the outbox retries', async () => {
      server.status = 503;
      const err = await rejection(ctx.receiver.send(note('trigger'), config));
      expect(err).toBeInstanceOf(DeliveryFailed);
      expect((err as DeliveryFailed).status).toBe(503);
    });

    it('fails when nothing listens at the far side', async () => {
      const down = ctx.config('http://127.0.0.1:9');
      expect(await rejection(ctx.receiver.send(note('trigger'), down))).toBeInstanceOf(DeliveryFailed);
    });

    it('delivers every event it is sent, in the order sent', async () => {
      for (const e of ctx.events) await ctx.receiver.send(note(e, e === 'resolve' ? snapshot({ state: 'resolved', resolved_at: '2026-12-01T20:10:00.000Z' }) : snapshot()), config);
      const decoded = server.received.map((r) => ctx.decode(r)?.event);
      expect(decoded).toHaveLength(ctx.events.length);
      expect(decoded[decoded.length - 1]).toBe('resolve');
    });
  });
}
