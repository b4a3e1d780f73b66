import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { decodeCursor, encodeCursor } from '../../common/page-cursor.js';
import { ValidationFailed } from '../../common/errors.js';
import type { RegistryEventType } from './event-types.js';

/** An event as its writer gives it. */
export interface NewRegistryEvent {
  type: RegistryEventType;
  model: string;
  version?: number | null;
  /** Key id (or `rollout:<id>`) that caused it. */
  actor?: string | null;
  data?: Record<string, unknown>;
}

/** An event as `GET /api/v1/events` and the webhooks answer it. */
export interface RegistryEventView {
  id: string;
  type: string;
  model: string;
  version: number | null;
  actor: string | null;
  data: Record<string, unknown>;
  created_at: string;
}

interface EventRow {
  id: string;
  type: string;
  model: string;
  version: number | null;
  actor: string | null;
  data: Record<string, unknown>;
  created_at: Date;
}

export function eventView(r: EventRow): RegistryEventView {
  return { id: String(r.id), type: r.type, model: r.model, version: r.version, actor: r.actor, data: r.data ?? {}, created_at: new Date(r.created_at).toISOString() };
}

export interface ListEventsQuery {
  limit: number;
  cursor?: string;
  model?: string;
  /** A type or a family (`alias.*`). */
  type?: string;
}

/**
 * The registry's event log: appended inside the transaction of the change
 * it describes, so an event exists exactly when its change committed, and
 * under the model's row lock, so a model's events are numbered in the order
 * they committed (the outbox delivers them in that order). The alerting
 * side reads the table and delivers; the registry knows nothing of it.
 */
@Injectable()
export class RegistryEvents {
  constructor(private readonly dataSource: DataSource) {}

  /** Appends an event in the caller's transaction; it commits (or not) with the change. */
  async record(em: EntityManager, e: NewRegistryEvent): Promise<string> {
    // Already held by every registry write; taken here for writers that do not (a model's events must number in commit order).
    await em.query(`SELECT 1 FROM models WHERE name = $1 FOR UPDATE`, [e.model]);
    const [row]: { id: string }[] = await em.query(
      `INSERT INTO registry_events (type, model, version, actor, data) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [e.type, e.model, e.version ?? null, e.actor ?? null, JSON.stringify(e.data ?? {})],
    );
    return String(row.id);
  }

  /** Appends an event in a transaction of its own: what a refused request leaves, like its audit row. */
  recordAlone(e: NewRegistryEvent): Promise<string> {
    return this.dataSource.transaction((em) => this.record(em, e));
  }

  /** Newest first, one page at a time. */
  async list(q: ListEventsQuery): Promise<{ events: RegistryEventView[]; next_cursor: string | null }> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.cursor !== undefined) {
      const below = decodeCursor(q.cursor);
      if (!/^[1-9]\d{0,18}$/.test(below) || BigInt(below) > 9_223_372_036_854_775_807n) throw new ValidationFailed('cursor: not a cursor this API gave out', { field: 'cursor' });
      where.push(`id < $${args.push(below)}`);
    }
    if (q.model !== undefined) where.push(`model = $${args.push(q.model)}`);
    if (q.type !== undefined) {
      if (q.type.endsWith('.*')) where.push(`starts_with(type, $${args.push(q.type.slice(0, -1))})`);
      else where.push(`type = $${args.push(q.type)}`);
    }
    const rows: EventRow[] = await this.dataSource.query(
      `SELECT id, type, model, version, actor, data, created_at FROM registry_events
        ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.push(q.limit + 1)}`,
      args,
    );
    const page = rows.slice(0, q.limit);
    return { events: page.map(eventView), next_cursor: rows.length > q.limit ? encodeCursor(String(page[page.length - 1].id)) : null };
  }
}
