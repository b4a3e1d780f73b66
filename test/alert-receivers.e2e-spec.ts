import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertmanagerReceiver } from '../src/alerting/receivers/alertmanager.receiver.js';
import { PagerDutyReceiver } from '../src/alerting/receivers/pagerduty.receiver.js';
import type { ReceiverConfig } from '../src/alerting/receivers/receiver.js';
import { WebhookReceiver } from '../src/alerting/receivers/webhook.receiver.js';
import { ReceiversService, receiverView } from '../src/alerting/receivers.service.js';
import { ConfigError, loadConfig } from '../src/config/config.schema.js';
import { LoopbackReceiver } from './support/loopback-receiver.js';
import { receiverContract, snapshot } from './support/receiver-contract.js';

const config = (over: Partial<ReceiverConfig>): ReceiverConfig => ({ id: 'r1', type: 'webhook', url: '', secret: null, routing_key: null, match: {}, ...over });

receiverContract('webhook', {
  receiver: new WebhookReceiver(),
  config: (url) => config({ type: 'webhook', url: `${url}/hook`, secret: 's3cret' }),
  path: '/hook',
  decode: (r) => ({ dedupKey: r.body.dedup_key, event: r.body.event }),
  events: ['trigger', 'resend', 'resolve'],
});

receiverContract('alertmanager', {
  receiver: new AlertmanagerReceiver(),
  config: (url) => config({ type: 'alertmanager', url }),
  path: '/api/v2/alerts',
  decode: (r) => ({ dedupKey: r.body[0].labels.dedup_key, event: r.body[0].endsAt ? 'resolve' : 'trigger' }),
  events: ['trigger', 'resend', 'resolve'],
});

receiverContract('pagerduty', {
  receiver: new PagerDutyReceiver(),
  config: (url) => config({ type: 'pagerduty', url: `${url}/v2/enqueue`, routing_key: 'R0UT1NGKEY' }),
  path: '/v2/enqueue',
  decode: (r) => ({ dedupKey: r.body.dedup_key, event: r.body.event_action }),
  events: ['trigger', 'acknowledge', 'resolve'],
});

describe('what each receiver kind puts on the wire', () => {
  let server: LoopbackReceiver;
  beforeAll(async () => {
    server = await LoopbackReceiver.start(202);
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('signs a webhook body with a timestamped HMAC-SHA256 a receiver can verify', async () => {
    server.received.length = 0;
    await new WebhookReceiver().send({ id: '7', event: 'trigger', alert: snapshot() }, config({ url: `${server.url}/hook`, secret: 'top-secret' }));
    const r = server.received[0];
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(r.headers['x-modelgate-signature']));
    expect(m).not.toBeNull();
    expect(Math.abs(Number(m![1]) - Date.now() / 1000)).toBeLessThan(5);
    expect(m![2]).toBe(createHmac('sha256', 'top-secret').update(`${m![1]}.${r.raw}`).digest('hex'));
    expect(createHmac('sha256', 'other').update(`${m![1]}.${r.raw}`).digest('hex')).not.toBe(m![2]);
    expect(r.body).toMatchObject({ event: 'trigger', dedup_key: snapshot().dedup_key, alert: { model: 'credit-risk', runbook_url: 'https://runbooks.example/drift' } });
    expect(r.headers['idempotency-key']).toContain(snapshot().dedup_key);
  });

  it('posts Alertmanager alerts with labels, the runbook annotation, startsAt, endsAt on resolve and the generator URL', async () => {
    server.received.length = 0;
    const am = new AlertmanagerReceiver();
    await am.send({ id: '1', event: 'trigger', alert: snapshot() }, config({ type: 'alertmanager', url: server.url }));
    await am.send({ id: '2', event: 'resolve', alert: snapshot({ state: 'resolved', resolved_at: '2026-12-01T20:10:00.000Z' }) }, config({ type: 'alertmanager', url: server.url }));
    const [fire, resolve] = server.received.map((r) => r.body[0]);
    expect(fire.labels).toEqual({ alertname: 'modelgate_feature_drift', model: 'credit-risk', version: '1', variant: 'production', rule: 'feature_drift', severity: 'warning', dedup_key: snapshot().dedup_key });
    expect(fire.annotations.runbook_url).toBe('https://runbooks.example/drift');
    expect(fire.startsAt).toBe('2026-12-01T20:00:00.000Z');
    expect(fire.endsAt).toBeUndefined();
    expect(fire.generatorURL).toBe('http://modelgate.example/api/v1/alerts/alert-1');
    expect(resolve.labels).toEqual(fire.labels);
    expect(resolve.endsAt).toBe('2026-12-01T20:10:00.000Z');
  });

  it('sends PagerDuty a trigger with routing key, dedup key, payload and links, then bare acknowledge and resolve', async () => {
    server.received.length = 0;
    const pd = new PagerDutyReceiver();
    const c = config({ type: 'pagerduty', url: `${server.url}/v2/enqueue`, routing_key: 'R0UT1NGKEY' });
    for (const event of ['trigger', 'acknowledge', 'resolve'] as const) await pd.send({ id: event, event, alert: snapshot({ severity: 'critical' }) }, c);
    const [trigger, ack, resolve] = server.received.map((r) => r.body);
    expect(trigger).toMatchObject({
      routing_key: 'R0UT1NGKEY',
      event_action: 'trigger',
      dedup_key: snapshot().dedup_key,
      payload: { severity: 'critical', source: 'modelgate/credit-risk/v1/production', custom_details: { drifted_features: ['income'], rule: 'feature_drift' } },
      links: [{ href: snapshot().url }, { href: 'https://runbooks.example/drift' }],
    });
    expect(trigger.payload.summary).toContain('feature drift in income');
    expect(ack).toEqual({ routing_key: 'R0UT1NGKEY', event_action: 'acknowledge', dedup_key: snapshot().dedup_key });
    expect(resolve).toEqual({ routing_key: 'R0UT1NGKEY', event_action: 'resolve', dedup_key: snapshot().dedup_key });
  });
});

describe('receivers from MODELGATE_RECEIVERS', () => {
  const env = (value: string) => loadConfig({ MODELGATE_RECEIVERS: value });

  it('stops the start with the variable and the field named when a receiver is malformed', () => {
    expect(() => env('not json')).toThrow(/MODELGATE_RECEIVERS: must be a JSON array/);
    expect(() => new ReceiversService(null as never, env('[{"type": "webhook"}]'))).toThrow(/MODELGATE_RECEIVERS\.0\.url/);
    expect(() => new ReceiversService(null as never, env('[{"type": "pagerduty"}]'))).toThrow(/MODELGATE_RECEIVERS\.0\.routing_key/);
    expect(() => new ReceiversService(null as never, env('[{"type": "sms", "url": "http://x"}]'))).toThrow(ConfigError);
  });

  it('names env receivers by their id, or by their place in the list', async () => {
    const s = new ReceiversService(null as never, env(JSON.stringify([{ id: 'oncall', type: 'webhook', url: 'http://a.test' }, { type: 'alertmanager', url: 'http://b.test' }])));
    expect((await s.get('env-oncall')).type).toBe('webhook');
    expect((await s.get('env-1')).type).toBe('alertmanager');
    expect(receiverView(await s.get('env-oncall'))).toMatchObject({ source: 'env', has_secret: false });
  });
});
