import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** One write request as the audit trail keeps it. */
export interface AuditEntry {
  actorKeyId: string | null;
  actorName: string | null;
  address: string | null;
  method: string;
  /** The route pattern (`/api/v1/models/:name/aliases/:alias`). */
  route: string;
  path: string;
  params: Record<string, string>;
  status: number;
  /** The error code of a refused write; null when it succeeded. */
  code: string | null;
  reason: string | null;
  requestId: string | null;
}

export interface AuditRow {
  id: number;
  at: string;
  actor: { key_id: string | null; name: string | null };
  address: string | null;
  method: string;
  route: string;
  path: string;
  params: Record<string, string>;
  status: number;
  code: string | null;
  reason: string | null;
  request_id: string | null;
}

/** The audit table, behind one class (raw SQL: append and page, nothing else). */
@Injectable()
export class AuditStore {
  constructor(private readonly dataSource: DataSource) {}

  async append(e: AuditEntry): Promise<void> {
    await this.dataSource.query(
      `INSERT INTO audit_log (actor_key_id, actor_name, address, method, route, path, params, status, code, reason, request_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
      [e.actorKeyId, e.actorName, e.address, e.method, e.route, e.path, JSON.stringify(e.params), e.status, e.code, e.reason, e.requestId],
    );
  }

  /** Newest first, below `beforeId` when given; one more than `limit` to tell whether a next page exists. */
  async page(q: { limit: number; beforeId?: number; model?: string }): Promise<AuditRow[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.beforeId !== undefined) where.push(`id < $${args.push(q.beforeId)}`);
    if (q.model !== undefined) where.push(`params->>'name' = $${args.push(q.model)}`);
    const rows: any[] = await this.dataSource.query(
      `SELECT id, at, actor_key_id, actor_name, address, method, route, path, params, status, code, reason, request_id FROM audit_log
       ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.push(q.limit + 1)}`,
      args,
    );
    return rows.map((r) => ({
      id: Number(r.id),
      at: new Date(r.at).toISOString(),
      actor: { key_id: r.actor_key_id, name: r.actor_name },
      address: r.address,
      method: r.method,
      route: r.route,
      path: r.path,
      params: r.params,
      status: r.status,
      code: r.code,
      reason: r.reason,
      request_id: r.request_id,
    }));
  }
}
