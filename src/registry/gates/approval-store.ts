import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor } from '../../auth/scopes.decorator.js';
import { uuidv7 } from '../../common/ids.js';
import { decodeCursor, encodeCursor } from '../../common/page-cursor.js';
import { InjectConfig } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import type { ModelEntity } from '../entities/model.entity.js';
import { RegistryEvents } from '../events/registry-events.js';
import type { GateResult } from './promotion-gates.js';

export type ApprovalState = 'pending' | 'approved' | 'rejected' | 'expired';

/** What a request asks for: an alias move here; the releases module adds `rollout.start`. */
export type ApprovalAction = { type: 'alias.move'; alias: string; version: number; force?: boolean } | { type: string; version?: number; [key: string]: unknown };

export interface ApprovalRow {
  id: string;
  model_id: string;
  model: string;
  action: ApprovalAction;
  state: ApprovalState;
  reason: string | null;
  gates: GateResult[] | null;
  serving_revision: number;
  requested_by: string;
  requester_created_by: string;
  created_at: Date;
  expires_at: Date;
  decided_by: string | null;
  decided_at: Date | null;
  comment: string | null;
  result: Record<string, unknown> | null;
}

export function approvalView(r: ApprovalRow) {
  const iso = (d: Date | null) => (d ? new Date(d).toISOString() : null);
  return {
    id: r.id,
    model: r.model,
    action: r.action,
    state: r.state,
    reason: r.reason,
    gates: r.gates,
    serving_revision: r.serving_revision,
    requested_by: r.requested_by,
    created_at: iso(r.created_at),
    expires_at: iso(r.expires_at),
    decided_by: r.decided_by,
    decided_at: iso(r.decided_at),
    comment: r.comment,
    result: r.result,
  };
}
export type ApprovalView = ReturnType<typeof approvalView>;

/**
 * The `approval_requests` table. Every write runs in the caller's
 * transaction, under the model's row lock, with its registry event.
 */
@Injectable()
export class ApprovalStore {
  constructor(
    private readonly events: RegistryEvents,
    @InjectConfig() private readonly config: AppConfig,
  ) {}

  /** Records a pending request for `action` on `model` (whose row the caller has locked). */
  async create(em: EntityManager, model: ModelEntity, r: { action: ApprovalAction; reason?: string | null; gates?: GateResult[] | null; actor: Actor }): Promise<ApprovalView> {
    const id = uuidv7();
    const [row]: ApprovalRow[] = await em.query(
      `INSERT INTO approval_requests (id, model_id, model, action, state, reason, gates, serving_revision, requested_by, requester_created_by, expires_at)
       VALUES ($1, $2, $3, $4, 'pending', $5, $6, $7, $8, $9, now() + make_interval(secs => $10)) RETURNING *`,
      [id, model.id, model.name, JSON.stringify(r.action), r.reason ?? null, r.gates ? JSON.stringify(r.gates) : null, model.servingRevision, r.actor.keyId, await creatorOf(em, r.actor.keyId), this.config.registry.approvalTtlS],
    );
    const view = approvalView(row);
    await this.events.record(em, {
      type: 'approval.requested',
      model: model.name,
      version: typeof r.action.version === 'number' ? r.action.version : null,
      actor: r.actor.keyId,
      data: { request_id: id, action: r.action, reason: view.reason, expires_at: view.expires_at, serving_revision: model.servingRevision },
    });
    return view;
  }

  /** The request, locked for the rest of the transaction. */
  async lock(em: EntityManager, model: ModelEntity, id: string): Promise<ApprovalRow | null> {
    const [row]: ApprovalRow[] = await em.query(`SELECT * FROM approval_requests WHERE id = $1 AND model_id = $2 FOR UPDATE`, [id, model.id]);
    return row ?? null;
  }

  async decide(em: EntityManager, row: ApprovalRow, d: { state: 'approved' | 'rejected'; actor: Actor; comment: string; result?: Record<string, unknown> | null }): Promise<ApprovalView> {
    const [[updated]]: [ApprovalRow[], number] = await em.query(
      `UPDATE approval_requests SET state = $2, decided_by = $3, decided_at = now(), comment = $4, result = $5 WHERE id = $1 RETURNING *`,
      [row.id, d.state, d.actor.keyId, d.comment, d.result ? JSON.stringify(d.result) : null],
    );
    await this.events.record(em, {
      type: 'approval.decided',
      model: row.model,
      version: typeof row.action.version === 'number' ? row.action.version : null,
      actor: d.actor.keyId,
      data: { request_id: row.id, decision: d.state, comment: d.comment, action: row.action, requested_by: row.requested_by, ...(d.result ? { result: d.result } : {}) },
    });
    return approvalView(updated);
  }

  /** Marks the model's overdue pending requests expired, each with its event. */
  async expireDue(em: EntityManager, model: ModelEntity): Promise<number> {
    const [rows]: [ApprovalRow[], number] = await em.query(
      `UPDATE approval_requests SET state = 'expired', decided_at = now() WHERE model_id = $1 AND state = 'pending' AND expires_at <= now() RETURNING *`,
      [model.id],
    );
    for (const row of rows) {
      await this.events.record(em, {
        type: 'approval.decided',
        model: row.model,
        version: typeof row.action.version === 'number' ? row.action.version : null,
        actor: null,
        data: { request_id: row.id, decision: 'expired', action: row.action, requested_by: row.requested_by },
      });
    }
    return rows.length;
  }

  async get(em: EntityManager, model: ModelEntity, id: string): Promise<ApprovalRow | null> {
    const [row]: ApprovalRow[] = await em.query(`SELECT * FROM approval_requests WHERE id = $1 AND model_id = $2`, [id, model.id]);
    return row ?? null;
  }

  /** Newest first (ids are UUIDv7, time-ordered). */
  async page(em: EntityManager, model: ModelEntity, q: { limit: number; cursor?: string; state?: ApprovalState }) {
    const args: unknown[] = [model.id];
    const where = ['model_id = $1'];
    if (q.state) where.push(`state = $${args.push(q.state)}`);
    if (q.cursor) where.push(`id < $${args.push(decodeCursor(q.cursor))}`);
    const rows: ApprovalRow[] = await em.query(`SELECT * FROM approval_requests WHERE ${where.join(' AND ')} ORDER BY id DESC LIMIT $${args.push(q.limit + 1)}`, args);
    const page = rows.slice(0, q.limit);
    return { requests: page.map(approvalView), next_cursor: rows.length > q.limit ? encodeCursor(page[page.length - 1].id) : null };
  }
}

/**
 * Who minted a key: an approver must not share it with the requester (the
 * admin token, which no key minted, counts as its own creator).
 */
export async function creatorOf(em: EntityManager, keyId: string): Promise<string> {
  const [row]: { created_by: string }[] = await em.query(`SELECT created_by FROM api_keys WHERE id = $1`, [keyId]);
  return row?.created_by ?? keyId;
}
