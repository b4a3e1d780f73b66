import { createHmac } from 'node:crypto';
import { type AlertReceiver, type Notification, postJson, type ReceiverConfig } from './receiver.js';

/**
 * `X-Modelgate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`:
 * the timestamp is inside the signed text, so a captured request replayed
 * later fails a receiver's freshness check (Stripe's scheme).
 */
export function webhookSignature(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export function webhookBody(n: Notification, sentAt: Date): string {
  return JSON.stringify({ event: n.event, dedup_key: n.alert.dedup_key, notification_id: n.id, sent_at: sentAt.toISOString(), alert: n.alert });
}

export class WebhookReceiver implements AlertReceiver {
  readonly type = 'webhook' as const;

  async send(n: Notification, r: ReceiverConfig): Promise<void> {
    const now = new Date();
    const body = webhookBody(n, now);
    const headers: Record<string, string> = { 'idempotency-key': `${n.alert.dedup_key}/${n.alert.id}/${n.event}/${n.id}`, 'x-modelgate-dedup-key': n.alert.dedup_key };
    if (r.secret) headers['x-modelgate-signature'] = webhookSignature(r.secret, body, Math.floor(now.getTime() / 1000));
    await postJson(r.url, body, headers);
  }
}
