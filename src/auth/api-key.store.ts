import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type Repository } from 'typeorm';
import { ApiKeyEntity } from './api-key.entity.js';
import type { KeyRecord } from './key-cache.js';

/** Every replica LISTENs here and evicts the key id it is told. */
export const KEYS_CHANNEL = 'modelgate_keys';

/** The `api_keys` table; the one place auth touches the database. */
@Injectable()
export class ApiKeyStore {
  private readonly repo: Repository<ApiKeyEntity>;

  constructor(private readonly dataSource: DataSource) {
    this.repo = dataSource.getRepository(ApiKeyEntity);
  }

  async insert(key: Omit<ApiKeyEntity, 'createdAt' | 'revokedAt' | 'lastUsedAt'>, em?: EntityManager): Promise<ApiKeyEntity> {
    const repo = em ? em.getRepository(ApiKeyEntity) : this.repo;
    await repo.insert(key);
    return repo.findOneByOrFail({ id: key.id });
  }

  findById(id: string): Promise<ApiKeyEntity | null> {
    return this.repo.findOneBy({ id });
  }

  /**
   * Oldest first, up to `take` keys after the key `afterId`. The position is
   * read from the row itself because created_at holds microseconds that a
   * JavaScript Date would round away; keys are revoked, never deleted, so the
   * row is there (an unknown id gives an empty page).
   */
  page(take: number, afterId?: string): Promise<ApiKeyEntity[]> {
    const qb = this.repo.createQueryBuilder('k').orderBy('k.created_at', 'ASC').addOrderBy('k.id', 'ASC').limit(take);
    if (afterId !== undefined) {
      qb.where('(k.created_at, k.id) > (SELECT a.created_at, a.id FROM api_keys a WHERE a.id = :afterId)', { afterId });
    }
    return qb.getMany();
  }

  /** What the authenticator caches for a key id, or null when there is no such key. */
  async record(id: string): Promise<KeyRecord | null> {
    const k = await this.findById(id);
    if (!k) return null;
    return {
      id: k.id,
      name: k.name,
      scopes: k.scopes,
      models: k.models ?? null,
      secretSha256: Buffer.from(k.secretSha256, 'hex'),
      expiresAt: k.expiresAt?.getTime() ?? null,
      revokedAt: k.revokedAt?.getTime() ?? null,
      lastUsedAt: k.lastUsedAt?.getTime() ?? null,
    };
  }

  /**
   * Marks the key revoked (keeping the first revocation time) and tells
   * every replica in the same transaction: Postgres delivers the NOTIFY only
   * if the revocation commits. Null when there is no such key.
   */
  revoke(id: string): Promise<ApiKeyEntity | null> {
    return this.dataSource.transaction(async (em) => {
      await em.query('UPDATE api_keys SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL', [id]);
      const key = await em.getRepository(ApiKeyEntity).findOneBy({ id });
      if (key) await em.query('SELECT pg_notify($1, $2)', [KEYS_CHANNEL, id]);
      return key;
    });
  }

  /** The condition keeps it to one write a minute per key across all replicas. */
  async touch(id: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE api_keys SET last_used_at = now()
        WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [id],
    );
  }

  /**
   * Runs `fn` holding a transaction-scoped advisory lock, so two processes
   * starting on one empty database do not both mint an admin key.
   */
  withBootstrapLock<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(async (em) => {
      await em.query(`SELECT pg_advisory_xact_lock(hashtext('modelgate:admin-key-bootstrap'))`);
      return fn(em);
    });
  }

  async hasActiveAdmin(em: EntityManager): Promise<boolean> {
    const rows: unknown[] = await em.query(
      `SELECT 1 FROM api_keys
        WHERE 'admin' = ANY(scopes) AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
        LIMIT 1`,
    );
    return rows.length > 0;
  }
}
