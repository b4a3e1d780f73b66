import { Injectable, type OnModuleInit } from '@nestjs/common';
import { InjectLogger } from '../../common/common.module.js';
import type { Logger } from '../../common/logger.js';
import { InjectConfig } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { LeaderElection } from '../../database/leader-election.js';
import { BucketStore } from './bucket-store.js';

const BATCH = 5_000;
const ZERO = '00000000-0000-0000-0000-000000000000';

/**
 * Joins labels that were accepted before their prediction record was
 * stored (posted early, or the record is still in another replica's queue)
 * once the record lands: the elected leader walks `pending_labels` with a
 * wrapping cursor, so labels whose record never comes (dropped under
 * overload) do not hold back the rest; they are forgotten after an hour.
 */
@Injectable()
export class LabelJoiner implements OnModuleInit {
  private readonly logger: Logger;
  private cursor = ZERO;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectLogger() logger: Logger,
    private readonly store: BucketStore,
    private readonly election: LeaderElection,
  ) {
    this.logger = logger.child({ component: 'label-joiner' });
  }

  onModuleInit(): void {
    const periodMs = Math.max(200, Math.min(2 * this.config.telemetry.flushMs, 5_000));
    this.election.every({ name: 'label-joiner', periodMs, run: () => this.run().then(() => undefined) });
  }

  /** Passes until the pending labels have all been looked at once; returns how many joined. */
  async run(): Promise<number> {
    let joined = 0;
    for (let pass = 0; pass < 100; pass++) {
      const r = await this.store.joinPending(BATCH, this.cursor);
      joined += r.joined;
      this.cursor = r.taken < BATCH || r.last === null ? ZERO : r.last;
      if (r.taken < BATCH) break;
    }
    if (joined) this.logger.debug({ joined }, 'joined pending labels');
    return joined;
  }
}
