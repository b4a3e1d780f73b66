import { postJson, type ReceiverConfig } from './receiver.js';
import { webhookSignature } from './webhook.receiver.js';

/** A registry event as a webhook receives it (the `registry_events` row, snake_case). */
export interface RegistryEventPayload {
  id: string;
  type: string;
  model: string;
  version: number | null;
  actor: string | null;
  data: Record<string, unknown>;
  created_at: string;
}

/**
 * `{"kind": "registry_event", "type": "alias.moved", "event": {...}}`, told
 * apart from an alert notification by `kind`; signed like alert webhooks
 * (`X-Modelgate-Signature`), with the event id as the idempotency key so a
 * receiver drops a re-delivery.
 */
export function eventWebhookBody(e: RegistryEventPayload, deliveryId: string, sentAt: Date): string {
  return JSON.stringify({ kind: 'registry_event', type: e.type, delivery_id: deliveryId, sent_at: sentAt.toISOString(), event: e });
}

export async function sendEventWebhook(e: RegistryEventPayload, deliveryId: string, r: ReceiverConfig): Promise<void> {
  const now = new Date();
  const body = eventWebhookBody(e, deliveryId, now);
  const headers: Record<string, string> = { 'idempotency-key': `registry-event/${e.id}`, 'x-modelgate-event': e.type };
  if (r.secret) headers['x-modelgate-signature'] = webhookSignature(r.secret, body, Math.floor(now.getTime() / 1000));
  await postJson(r.url, body, headers);
}
