import { Injectable } from '@nestjs/common';

export const SERVING_CHANNEL = 'modelgate_serving';

/** Payload of the `modelgate_serving` NOTIFY and of the in-process event. */
export interface ServingStateChanged {
  model: string;
  /** The model's new serving revision; absent when the model was deleted. */
  revision?: number;
  deleted?: boolean;
}

type Listener = (event: ServingStateChanged) => Promise<void> | void;

/**
 * Tells this process's serving layer that what should serve has changed,
 * after the commit. The registry awaits its listeners (bounded) so that the
 * request that moved an alias answers only once this replica routes by it;
 * other replicas learn through Postgres NOTIFY on the same channel.
 */
@Injectable()
export class ServingStateEvents {
  private readonly listeners: Listener[] = [];

  subscribe(listener: Listener): () => void {
    this.listeners.push(listener);
    return () => {
      const i = this.listeners.indexOf(listener);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  async publish(event: ServingStateChanged, waitMs = 10_000): Promise<void> {
    if (!this.listeners.length) return;
    const all = Promise.allSettled(this.listeners.map(async (l) => l(event)));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([all, new Promise((r) => (timer = setTimeout(r, waitMs)))]);
    clearTimeout(timer);
  }
}
