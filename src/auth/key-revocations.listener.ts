import { Injectable } from '@nestjs/common';
import { PgListener } from '../database/pg-listener.js';
import { ApiKeyAuthenticator } from './api-key.authenticator.js';
import { KEYS_CHANNEL } from './api-key.store.js';

/**
 * Evicts keys revoked on any replica from this process's cache, through
 * `LISTEN modelgate_keys` on the shared notification connection. After a
 * reconnection it drops the whole cache, since revocations sent meanwhile
 * were lost.
 */
@Injectable()
export class KeyRevocationListener {
  constructor(
    private readonly listener: PgListener,
    authenticator: ApiKeyAuthenticator,
  ) {
    listener.on(KEYS_CHANNEL, (keyId) => authenticator.evict(keyId));
    listener.onReconnect(() => authenticator.evictAll());
  }

  get isListening(): boolean {
    return this.listener.isConnected;
  }
}
