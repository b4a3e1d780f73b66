import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectLogger } from '../common/common.module.js';
import type { Logger } from '../common/logger.js';
import { DatabaseConnection } from '../database/database.connection.js';
import { PgListener } from '../database/pg-listener.js';
import { ApiKeyAuthenticator } from './api-key.authenticator.js';
import { KEYS_CHANNEL } from './api-key.store.js';

/**
 * Evicts keys revoked on any replica from this process's cache, through
 * `LISTEN modelgate_keys` on a connection of its own (a pooled connection
 * would lose the LISTEN when returned). After a reconnection it drops the
 * whole cache, since revocations sent meanwhile were lost.
 */
@Injectable()
export class KeyRevocationListener implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly listener: PgListener;

  constructor(connection: DatabaseConnection, authenticator: ApiKeyAuthenticator, @InjectLogger() logger: Logger) {
    this.listener = new PgListener(connection.url, logger.child({ component: 'key-revocations' }), () => authenticator.evictAll());
    this.listener.on(KEYS_CHANNEL, (keyId) => authenticator.evict(keyId));
  }

  get isListening(): boolean {
    return this.listener.isConnected;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.listener.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.listener.stop();
  }
}
