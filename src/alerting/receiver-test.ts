import { Injectable } from '@nestjs/common';
import type { Actor } from '../auth/scopes.js';
import { ReceiverTestUnsupported } from './alerting.errors.js';
import { type RegistryEventPayload, sendEventWebhook } from './receivers/event-webhook.js';
import { ReceiversService } from './receivers.service.js';

/**
 * `POST /api/v1/receivers/{id}/test`: one signed event of type `test`, sent
 * at once rather than through the outbox, so whoever set the receiver up
 * sees at once whether it accepts what Modelgate signs.
 */
@Injectable()
export class ReceiverTest {
  constructor(private readonly receivers: ReceiversService) {}

  async send(id: string, actor: Actor): Promise<{ receiver: string; delivered: boolean; error: string | null; event: RegistryEventPayload }> {
    const r = await this.receivers.get(id);
    if (r.type !== 'webhook') throw new ReceiverTestUnsupported(id, r.type);
    const event: RegistryEventPayload = {
      id: `test-${Date.now()}`,
      type: 'test',
      model: '',
      version: null,
      actor: actor.keyId,
      data: { message: 'a test event from Modelgate: this receiver is reachable and its signature verifies with its secret' },
      created_at: new Date().toISOString(),
    };
    try {
      await sendEventWebhook(event, event.id, r);
      return { receiver: id, delivered: true, error: null, event };
    } catch (err) {
      return { receiver: id, delivered: false, error: (err as Error).message, event };
    }
  }
}
