import { type AlertReceiver, type AlertSnapshot, type Notification, postJson, type ReceiverConfig } from './receiver.js';

/**
 * Alertmanager's `POST /api/v2/alerts` takes a list of postable alerts. A
 * firing alert is sent without `endsAt`, so Alertmanager resolves it itself
 * after `resolve_timeout` unless the keep-alive re-sends it; a resolved one
 * carries `endsAt`. The labels identify the alert (Alertmanager's
 * fingerprint), so they hold the dedup key's parts and nothing that changes.
 */
export function alertmanagerAlerts(a: AlertSnapshot, generatorUrl: string): Record<string, unknown>[] {
  const annotations: Record<string, string> = { summary: a.summary, description: `${a.model} v${a.version} (${a.variant}): ${a.summary}` };
  if (a.runbook_url) annotations.runbook_url = a.runbook_url;
  if (a.resolve_reason) annotations.resolve_reason = a.resolve_reason;
  const alert: Record<string, unknown> = {
    labels: { alertname: `modelgate_${a.rule}`, model: a.model, version: String(a.version), variant: a.variant, rule: a.rule, severity: a.severity, dedup_key: a.dedup_key },
    annotations,
    startsAt: a.started_at,
    generatorURL: generatorUrl,
  };
  if (a.state === 'resolved' && a.resolved_at) alert.endsAt = a.resolved_at;
  return [alert];
}

export class AlertmanagerReceiver implements AlertReceiver {
  readonly type = 'alertmanager' as const;

  async send(n: Notification, r: ReceiverConfig): Promise<void> {
    // A resolve notification freezes the alert resolved even if it was queued later than a keep-alive.
    const snapshot = n.event === 'resolve' ? n.alert : { ...n.alert, state: 'firing' as const, resolved_at: null };
    await postJson(`${r.url.replace(/\/+$/, '')}/api/v2/alerts`, JSON.stringify(alertmanagerAlerts(snapshot, n.alert.url)), {});
  }
}
