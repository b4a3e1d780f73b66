import type { IncomingHttpHeaders } from 'node:http';
import { Injectable } from '@nestjs/common';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { InjectLogger } from '../common/common.module.js';
import { Forbidden, ServiceUnavailable, Unauthenticated } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { credentialFrom, hashSecret, isWellFormedKey, keyIdOf, secretMatches, secretOf } from './api-key-format.js';
import { ApiKeyStore } from './api-key.store.js';
import { ModelForbidden } from './auth.errors.js';
import { type CachedKey, KeyCache } from './key-cache.js';
import { type Actor, type Scope, scopeBit } from './scopes.js';
import { VerifiedCredentials } from './verified-credentials.js';

/** The actor of `MODELGATE_ADMIN_TOKEN`, which has no row. */
export const ADMIN_TOKEN_ACTOR: Actor = Object.freeze({ keyId: 'admin-token', name: 'admin-token', scopes: Object.freeze(['admin'] as Scope[]) });

const LAST_USED_EVERY_MS = 60_000;

const malformed = () => new Unauthenticated('malformed API key: expected mgk_<key id>_<secret>');

/**
 * Verifies the API key of a request against a scope and a model; the
 * admission (`admission.ts`) calls it on every edge, thousands of times a
 * second. So a key seen in the last few seconds is checked from memory,
 * synchronously: one sha256 and one constant-time compare the first time a
 * credential meets a loaded entry, a map lookup after that, no Promise. A
 * key that must be asked of the database is left to `verifyLoaded`, so the
 * admission can decide first whether the caller may cost a look-up.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly cache: KeyCache;
  /** Credentials already proven against a cached entry: no sha256 per request for a busy key. */
  private readonly verified = new VerifiedCredentials();
  private readonly adminHash?: Buffer;
  private readonly adminLength: number;
  private lastLoadWarning = 0;
  private lastStaleWarning = 0;
  /** Stale keys served since the last "cannot reload" line. */
  private staleSinceWarning = 0;

  constructor(
    @InjectConfig() config: AppConfig,
    private readonly store: ApiKeyStore,
    @InjectLogger() private readonly logger: Logger,
  ) {
    const token = config.auth.adminToken;
    this.adminHash = token === undefined ? undefined : hashSecret(token);
    this.adminLength = token?.length ?? -1;
    this.cache = new KeyCache({
      ttlMs: config.auth.keyCacheTtlMs,
      load: (id) => this.store.record(id),
      onStale: (id, err) => this.staleWarning(id, err),
    });
  }

  /**
   * The caller when its key is known from memory (the admin token, a cached
   * key) and grants `scope` and `model`; `undefined` when the key is well
   * formed but must be looked up (`verifyLoaded`). Throws `Unauthenticated`
   * (401) or `Forbidden` (403) when the answer is known from memory.
   */
  verifyCached(headers: IncomingHttpHeaders, scope: Scope | null, model: string | undefined): Actor | undefined {
    const credential = credentialFrom(headers);
    if (credential === undefined) throw new Unauthenticated('missing API key: send "Authorization: Bearer <key>" or "X-API-Key: <key>"');
    // The admin token can have any shape, so it is recognised before the key format is checked.
    if (credential.length === this.adminLength && secretMatches(credential, this.adminHash!)) return ADMIN_TOKEN_ACTOR;
    const id = keyIdOf(credential);
    if (id === undefined) throw malformed();
    const now = Date.now();
    const cached = this.cache.peek(id, now);
    if (cached !== undefined) return this.verifyEntry(cached, credential, scope, now, model);
    if (!isWellFormedKey(credential)) throw malformed();
    return undefined;
  }

  /**
   * Asks the database about a key `verifyCached` answered `undefined` for;
   * rejects with 401/403 as it would, or with `AUTH_UNAVAILABLE` (503) when
   * the database cannot be asked.
   */
  verifyLoaded(headers: IncomingHttpHeaders, scope: Scope | null, model: string | undefined): Promise<Actor> {
    const credential = credentialFrom(headers)!;
    const id = keyIdOf(credential)!;
    return this.cache.load(id).then(
      (entry) => this.verifyEntry(entry, credential, scope, Date.now(), model),
      (err: unknown) => {
        // Once per 10 s: during an outage every unseen key would log a line.
        if (Date.now() - this.lastLoadWarning >= 10_000) {
          this.lastLoadWarning = Date.now();
          this.logger.warn({ key_id: id, err: (err as Error).message }, 'cannot load API key');
        }
        throw new ServiceUnavailable('AUTH_UNAVAILABLE', 'cannot verify the API key now: the key store is unreachable', {}, 1);
      },
    );
  }

  /**
   * Whether this process has held the request's key, secret included, even
   * if that entry is past its freshness now: its caller proved the secret
   * before and is no guesser, so its look-up is not rationed.
   */
  knowsSecret(headers: IncomingHttpHeaders): boolean {
    const credential = credentialFrom(headers);
    const id = credential === undefined ? undefined : keyIdOf(credential);
    const entry = id === undefined ? undefined : this.cache.held(id);
    return entry !== undefined && secretMatches(secretOf(credential!), entry.hash);
  }

  /** Once per 10 s, like "cannot load API key": during a database outage every busy key fails its reloads. */
  private staleWarning(id: string, err: unknown): void {
    this.staleSinceWarning++;
    if (Date.now() - this.lastStaleWarning < 10_000) return;
    this.lastStaleWarning = Date.now();
    this.logger.warn({ key_id: id, err: (err as Error).message, failed_reloads: this.staleSinceWarning }, 'cannot reload API key; serving the cached one');
    this.staleSinceWarning = 0;
  }

  /** Drops a key from this process's cache (it was revoked here or on another replica). */
  evict(keyId: string): void {
    this.cache.evict(keyId);
  }

  /** Drops every cached key: notifications may have been missed. */
  evictAll(): void {
    this.cache.clear();
    this.verified.clear();
  }

  private verifyEntry(entry: CachedKey | null, credential: string, scope: Scope | null, now: number, model: string | undefined): Actor {
    if (entry === null) throw new Unauthenticated('invalid API key');
    if (!this.verified.has(credential, entry)) {
      if (!secretMatches(secretOf(credential), entry.hash)) throw new Unauthenticated('invalid API key');
      this.verified.remember(credential, entry);
    }
    // Only the holder of the secret learns that a key was revoked or expired.
    if (entry.revoked) throw new Unauthenticated('API key revoked');
    if (now >= entry.expiresAt) throw new Unauthenticated('API key expired');
    if (now - entry.lastTouch >= LAST_USED_EVERY_MS) {
      entry.lastTouch = now;
      this.store.touch(entry.actor.keyId).catch((err: unknown) =>
        this.logger.debug({ key_id: entry.actor.keyId, err: (err as Error).message }, 'last_used_at not recorded'),
      );
    }
    if (scope !== null && (entry.mask & scopeBit(scope)) === 0) throw new Forbidden(scope);
    if (model !== undefined && entry.models !== null && !entry.models.test(model)) throw new ModelForbidden(model);
    return entry.actor;
  }
}
