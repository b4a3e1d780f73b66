import { type AlertReceiver, type AlertSnapshot, DeliveryFailed, type Notification, postJson, type ReceiverConfig } from './receiver.js';

export const PAGERDUTY_EVENTS_URL = 'https://events.pagerduty.com/v2/enqueue';

const PD_SEVERITIES = new Set(['critical', 'error', 'warning', 'info']);

/**
 * An Events API v2 event. `dedup_key` ties trigger, acknowledge and resolve
 * to one PagerDuty incident; acknowledge and resolve need nothing else.
 */
export function pagerDutyEvent(action: 'trigger' | 'acknowledge' | 'resolve', a: AlertSnapshot, routingKey: string): Record<string, unknown> {
  if (action !== 'trigger') return { routing_key: routingKey, event_action: action, dedup_key: a.dedup_key };
  const links = [{ href: a.url, text: 'Modelgate alert' }];
  if (a.runbook_url) links.push({ href: a.runbook_url, text: 'Runbook' });
  return {
    routing_key: routingKey,
    event_action: 'trigger',
    dedup_key: a.dedup_key,
    payload: {
      summary: `${a.model} v${a.version} (${a.variant}): ${a.summary}`.slice(0, 1024),
      severity: PD_SEVERITIES.has(a.severity) ? a.severity : 'warning',
      source: `modelgate/${a.model}/v${a.version}/${a.variant}`,
      timestamp: a.started_at,
      component: a.model,
      class: a.rule,
      custom_details: { ...a.details, rule: a.rule, model: a.model, version: a.version, variant: a.variant, runbook_url: a.runbook_url },
    },
    links,
    client: 'Modelgate',
    client_url: a.url,
  };
}

export class PagerDutyReceiver implements AlertReceiver {
  readonly type = 'pagerduty' as const;

  async send(n: Notification, r: ReceiverConfig): Promise<void> {
    if (!r.routing_key) throw new DeliveryFailed('pagerduty receiver has no routing_key');
    if (n.event === 'resend') return;
    await postJson(r.url || PAGERDUTY_EVENTS_URL, JSON.stringify(pagerDutyEvent(n.event, n.alert, r.routing_key)), {});
  }
}
