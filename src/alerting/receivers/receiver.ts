/**
 * One interface for every kind of receiver, so the outbox delivers without
 * knowing which kind it talks to; `test/support/receiver-contract.ts` runs
 * the same suite against each.
 */
export const RECEIVER_TYPES = ['webhook', 'alertmanager', 'pagerduty'] as const;
export type ReceiverType = (typeof RECEIVER_TYPES)[number];

/**
 * `trigger` and `resolve` are the alert's transitions; `acknowledge` goes to
 * PagerDuty when on-call acknowledges; `resend` is the keep-alive that tells
 * Alertmanager an alert still fires (and re-notifies a webhook that has not
 * been acknowledged).
 */
export type NotificationEvent = 'trigger' | 'acknowledge' | 'resolve' | 'resend';

/** The alert as the receivers see it, frozen when the notification was queued. */
export interface AlertSnapshot {
  id: string;
  dedup_key: string;
  model: string;
  version: number;
  variant: string;
  rule: string;
  severity: string;
  state: 'firing' | 'resolved';
  summary: string;
  details: Record<string, unknown>;
  runbook_url: string | null;
  started_at: string;
  resolved_at: string | null;
  resolve_reason: string | null;
  acknowledged_by: string | null;
  /** Where a human reads about the alert: `MODELGATE_PUBLIC_URL` + `/api/v1/alerts/{id}`. */
  url: string;
}

export interface Notification {
  /** The outbox row's id: stable across retries. */
  id: string;
  event: NotificationEvent;
  alert: AlertSnapshot;
}

export interface ReceiverConfig {
  id: string;
  type: ReceiverType;
  url: string;
  secret: string | null;
  routing_key: string | null;
  match: { models?: string[]; severities?: string[] };
  /** Registry event types (patterns) this receiver subscribes to; null or absent: none. */
  events?: string[] | null;
}

export interface AlertReceiver {
  readonly type: ReceiverType;
  /** Resolves once the receiver accepted the notification; throws (with the reason) otherwise. */
  send(n: Notification, r: ReceiverConfig): Promise<void>;
}

/** A receiver answered, but not with success; the outbox retries it. */
export class DeliveryFailed extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export const SEND_TIMEOUT_MS = 10_000;

export async function postJson(url: string, body: string, headers: Record<string, string>, timeoutMs = SEND_TIMEOUT_MS): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers }, signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    throw new DeliveryFailed(`POST ${url}: ${cause ?? (err as Error).message}`);
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw new DeliveryFailed(`POST ${url}: ${res.status} ${text.slice(0, 200)}`, res.status);
}

/** Which events a receiver kind gets for each thing that happens to an alert. */
export function deliversEvent(type: ReceiverType, event: NotificationEvent): boolean {
  if (event === 'acknowledge') return type === 'pagerduty';
  // PagerDuty keeps its own incident open; re-sending a trigger would only add noise.
  if (event === 'resend') return type !== 'pagerduty';
  return true;
}
