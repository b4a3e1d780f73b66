import { Injectable } from '@nestjs/common';
import { KeyNotFound } from './auth.errors.js';
import { generateApiKey } from './api-key-format.js';
import { ADMIN_TOKEN_ACTOR, ApiKeyAuthenticator } from './api-key.authenticator.js';
import { ValidationFailed } from '../common/errors.js';
import { decodeCursor, toPage } from '../common/page-cursor.js';
import { type CreateKeyDto, type CreatedKeyView, isKeyId, keyView, type KeyView, type ListKeysQuery } from './api-key.dto.js';
import { ApiKeyStore } from './api-key.store.js';
import type { Actor } from './scopes.js';

/** Creating, listing and revoking API keys. */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly store: ApiKeyStore,
    private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  async create(dto: CreateKeyDto, actor: Actor): Promise<CreatedKeyView> {
    const generated = generateApiKey();
    const k = await this.store.insert({
      id: generated.id,
      name: dto.name,
      scopes: dto.scopes,
      models: dto.models ?? null,
      secretSha256: generated.secretSha256,
      createdBy: actor.keyId,
      expiresAt: dto.expires_at ? new Date(dto.expires_at) : null,
    });
    // This process may remember the id as unknown if someone guessed it before it existed.
    this.authenticator.evict(k.id);
    const v = keyView(k);
    return { id: v.id, key: generated.key, name: v.name, scopes: v.scopes, models: v.models, created_at: v.created_at, expires_at: v.expires_at };
  }

  /** Oldest first, one page at a time (`next_cursor`). */
  async list(q: ListKeysQuery): Promise<{ keys: KeyView[]; next_cursor: string | null }> {
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (after !== undefined && !isKeyId(after)) throw new ValidationFailed('cursor: not a cursor this API gave out', { field: 'cursor' });
    const { items, next_cursor } = toPage(await this.store.page(q.limit + 1, after), q.limit, (k) => k.id);
    return { keys: items.map(keyView), next_cursor };
  }

  /** The caller's key; the admin token has no row, so it is described as what it is. */
  async self(actor: Actor): Promise<Omit<KeyView, 'created_at'> & { created_at: string | null }> {
    if (actor.keyId === ADMIN_TOKEN_ACTOR.keyId) {
      const none = { created_at: null, expires_at: null, revoked_at: null, last_used_at: null };
      return { id: actor.keyId, name: actor.name, scopes: [...actor.scopes], models: null, created_by: 'MODELGATE_ADMIN_TOKEN', ...none };
    }
    return this.get(actor.keyId);
  }

  async get(id: string): Promise<KeyView> {
    const k = isKeyId(id) ? await this.store.findById(id) : null;
    if (!k) throw new KeyNotFound(id);
    return keyView(k);
  }

  /**
   * Refused from the next request on this replica, and on the others as
   * soon as the NOTIFY arrives (the cache TTL bounds it if one is lost).
   * Revoking a revoked key changes nothing and succeeds.
   */
  async revoke(id: string): Promise<void> {
    const k = isKeyId(id) ? await this.store.revoke(id) : null;
    if (!k) throw new KeyNotFound(id);
    this.authenticator.evict(id);
  }
}
