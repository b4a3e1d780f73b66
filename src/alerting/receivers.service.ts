import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { APP_CONFIG } from '../config/config.module.js';
import { type AppConfig, ConfigError } from '../config/config.schema.js';
import { uuidv7 } from '../common/ids.js';
import { ValidationFailed } from '../common/errors.js';
import type { Actor } from '../auth/scopes.js';
import { type CreateReceiverDto, envReceiverSchema, type PatchReceiverDto } from './alerting.dto.js';
import { ReceiverNotFound, ReceiverReadOnly } from './alerting.errors.js';
import type { ReceiverConfig, ReceiverType } from './receivers/receiver.js';

export interface StoredReceiver extends ReceiverConfig {
  source: 'api' | 'env';
  created_by: string | null;
  created_at: string | null;
}

/** What the API answers for a receiver: never its secret or routing key, only whether one is set. */
export interface ReceiverView {
  id: string;
  type: ReceiverType;
  url: string;
  match: ReceiverConfig['match'];
  events: string[] | null;
  source: 'api' | 'env';
  has_secret: boolean;
  has_routing_key: boolean;
  created_by: string | null;
  created_at: string | null;
}

export function receiverView(r: StoredReceiver): ReceiverView {
  return { id: r.id, type: r.type, url: r.url, match: r.match, events: r.events ?? null, source: r.source, has_secret: !!r.secret, has_routing_key: !!r.routing_key, created_by: r.created_by, created_at: r.created_at };
}

interface ReceiverRow {
  id: string;
  type: ReceiverType;
  url: string;
  secret: string | null;
  routing_key: string | null;
  match: ReceiverConfig['match'];
  events: string[] | null;
  created_by: string;
  created_at: Date;
}

/**
 * Receivers from `MODELGATE_RECEIVERS` (read-only, validated at start so a
 * typo stops the process) and from the API (`alert_receivers`). Both
 * answer through `all()`, which the outbox reads per notification, so a
 * receiver changed through the API takes effect on every replica at once.
 */
@Injectable()
export class ReceiversService {
  private readonly env: StoredReceiver[];

  constructor(
    private readonly dataSource: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.env = config.alerting.envReceivers.map((raw, i) => {
      const r = envReceiverSchema.safeParse(raw);
      if (!r.success) throw new ConfigError(r.error.issues.map((x) => `MODELGATE_RECEIVERS.${i}.${x.path.join('.')}: ${x.message}`));
      const d = r.data;
      return { id: `env-${d.id ?? i}`, type: d.type, url: d.url ?? '', secret: d.secret ?? null, routing_key: d.routing_key ?? null, match: d.match, events: d.events ?? null, source: 'env', created_by: null, created_at: null };
    });
  }

  async all(em: EntityManager = this.dataSource.manager): Promise<StoredReceiver[]> {
    const rows: ReceiverRow[] = await em.query(`SELECT * FROM alert_receivers ORDER BY created_at, id`);
    return [...this.env, ...rows.map(fromRow)];
  }

  async get(id: string): Promise<StoredReceiver> {
    const env = this.env.find((r) => r.id === id);
    if (env) return env;
    const rows: ReceiverRow[] = await this.dataSource.query(`SELECT * FROM alert_receivers WHERE id = $1`, [id]);
    if (!rows[0]) throw new ReceiverNotFound(id);
    return fromRow(rows[0]);
  }

  async create(dto: CreateReceiverDto, actor: Actor): Promise<ReceiverView> {
    const id = uuidv7();
    await this.dataSource.query(`INSERT INTO alert_receivers (id, type, url, secret, routing_key, match, created_by, events) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, [
      id,
      dto.type,
      dto.url ?? '',
      dto.secret ?? null,
      dto.routing_key ?? null,
      JSON.stringify(dto.match),
      actor.keyId,
      dto.events ? JSON.stringify(dto.events) : null,
    ]);
    return receiverView(await this.get(id));
  }

  async patch(id: string, dto: PatchReceiverDto): Promise<ReceiverView> {
    const current = await this.writable(id);
    const next = {
      url: dto.url ?? current.url,
      secret: dto.secret === undefined ? current.secret : dto.secret,
      routing_key: dto.routing_key === undefined ? current.routing_key : dto.routing_key,
      match: dto.match ?? current.match,
      events: dto.events === undefined ? (current.events ?? null) : dto.events,
    };
    if (next.events?.length && current.type !== 'webhook') throw new ValidationFailed('events: only a webhook receiver subscribes to registry events', { field: 'events' });
    await this.dataSource.query(`UPDATE alert_receivers SET url = $2, secret = $3, routing_key = $4, match = $5, events = $6, updated_at = now() WHERE id = $1`, [
      id,
      next.url,
      next.secret,
      next.routing_key,
      JSON.stringify(next.match),
      next.events ? JSON.stringify(next.events) : null,
    ]);
    return receiverView(await this.get(id));
  }

  /** Pending notifications to a deleted receiver give up at their next claim. */
  async delete(id: string): Promise<void> {
    await this.writable(id);
    await this.dataSource.query(`DELETE FROM alert_receivers WHERE id = $1`, [id]);
  }

  private async writable(id: string): Promise<StoredReceiver> {
    const r = await this.get(id);
    if (r.source === 'env') throw new ReceiverReadOnly(id);
    return r;
  }
}

function fromRow(r: ReceiverRow): StoredReceiver {
  return { id: r.id, type: r.type, url: r.url, secret: r.secret, routing_key: r.routing_key, match: r.match ?? {}, events: r.events ?? null, source: 'api', created_by: r.created_by, created_at: r.created_at.toISOString() };
}
