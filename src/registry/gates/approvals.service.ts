import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { LeaderElection } from '../../database/leader-election.js';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor } from '../../auth/scopes.decorator.js';
import { ModelEntity } from '../entities/model.entity.js';
import { ModelNotFound } from '../registry.errors.js';
import { lockModel } from '../model-lock.js';
import { type ChangeResult, ServingStateService } from '../serving-state.service.js';
import { type ApprovalRow, type ApprovalState, ApprovalStore, type ApprovalView, approvalView, creatorOf } from './approval-store.js';
import { ApprovalActionUnavailable, ApproveScopeRequired, GateFailed, RequestNotFound, RequestNotPending, SelfApproval, ServingStateMoved } from './gates.errors.js';

const EXPIRY_SWEEP_MS = 60_000;

/**
 * Carries out an approved request of a type the registry does not know
 * (`rollout.start`): registered by the module that owns it, run inside the
 * approval's transaction (the model's row is locked, the request is being
 * marked approved) so the request is carried out once or not at all.
 * Answers what the request's `result` records.
 */
export type ApprovalExecutor = (em: EntityManager, request: ApprovalView, approver: Actor) => Promise<Record<string, unknown>>;

/** Where other modules register what carries out their kinds of request. */
@Injectable()
export class ApprovalActions {
  private readonly executors = new Map<string, ApprovalExecutor>();

  register(type: string, executor: ApprovalExecutor): void {
    this.executors.set(type, executor);
  }

  get(type: string): ApprovalExecutor | undefined {
    return this.executors.get(type);
  }
}

/**
 * Approval requests: a move of a guarded alias (or a rollout) that the
 * model's policy holds for a second key. Deciding takes the model's row
 * lock and then the request's, so a request is decided once, and an
 * approved move happens once, in the transaction that marks it approved.
 */
@Injectable()
export class ApprovalsService implements OnApplicationBootstrap {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: ApprovalStore,
    private readonly serving: ServingStateService,
    private readonly actions: ApprovalActions,
    private readonly election: LeaderElection,
  ) {}

  /** Requests nobody reads still expire (with their event) within a minute of their time. */
  onApplicationBootstrap(): void {
    this.election.every({ name: 'approval-expiry', periodMs: EXPIRY_SWEEP_MS, run: () => this.expireAll() });
  }

  async expireAll(): Promise<void> {
    const due: { model: string }[] = await this.dataSource.query(`SELECT DISTINCT model FROM approval_requests WHERE state = 'pending' AND expires_at <= now()`);
    for (const { model } of due) await this.expire(model).catch(() => undefined);
  }

  async list(name: string, q: { limit: number; cursor?: string; state?: ApprovalState }) {
    const model = await this.expire(name);
    return { model: name, ...(await this.store.page(this.dataSource.manager, model, q)) };
  }

  async get(name: string, id: string): Promise<ApprovalView> {
    const model = await this.expire(name);
    const row = await this.store.get(this.dataSource.manager, model, id);
    if (!row) throw new RequestNotFound(name, id);
    return approvalView(row);
  }

  /**
   * Asks for an alias move explicitly (whether or not the policy requires
   * approval); the gates are checked now, so a request that could never
   * pass is refused at once.
   */
  async requestAliasMove(name: string, r: { alias: string; version: number; force?: boolean; reason?: string }, actor: Actor): Promise<ApprovalView> {
    try {
      return await this.dataSource.transaction(async (em) => {
        const model = await lockModel(em, name);
        const [cur] = await em.query(`SELECT version FROM model_aliases WHERE model_id = $1 AND alias = $2`, [model.id, r.alias]);
        const gates = await this.serving.gateCheck(em, model, r.version, r.alias, cur ? Number(cur.version) : null);
        if (!gates.passed && !r.force) throw new GateFailed(name, r.alias, r.version, gates.gates);
        const action = { type: 'alias.move', alias: r.alias, version: r.version, ...(r.force ? { force: true } : {}) };
        return this.store.create(em, model, { action, reason: r.reason, gates: gates.guarded ? gates.gates : null, actor });
      });
    } catch (err) {
      if (err instanceof GateFailed) await this.serving.recordRefusal(err, actor, r.reason);
      throw err;
    }
  }

  approve(name: string, id: string, actor: Actor, comment: string): Promise<ApprovalView> {
    return this.decide(name, id, actor, comment, 'approved');
  }

  reject(name: string, id: string, actor: Actor, comment: string): Promise<ApprovalView> {
    return this.decide(name, id, actor, comment, 'rejected');
  }

  private async decide(name: string, id: string, actor: Actor, comment: string, state: 'approved' | 'rejected'): Promise<ApprovalView> {
    await this.expire(name);
    let change: ChangeResult | null = null;
    try {
      const view = await this.dataSource.transaction(async (em) => {
        const model = await lockModel(em, name);
        const row = await this.store.lock(em, model, id);
        if (!row) throw new RequestNotFound(name, id);
        if (row.state !== 'pending') throw new RequestNotPending(id, row.state);
        await this.requireApprover(em, row, actor);
        if (state === 'rejected') return this.store.decide(em, row, { state, actor, comment });
        if (model.servingRevision !== row.serving_revision) throw new ServingStateMoved(id, row.serving_revision, model.servingRevision);
        const result = await this.carryOut(em, model, row, actor);
        change = result.change;
        return this.store.decide(em, row, { state, actor, comment, result: result.record });
      });
      if (change) await this.serving.published(change);
      return view;
    } catch (err) {
      if (err instanceof GateFailed) await this.serving.recordRefusal(err, actor, `approval of request ${id}`);
      throw err;
    }
  }

  /** The approver holds `approve` itself (admin does not stand in), and is neither the requester nor minted by the requester's creator. */
  private async requireApprover(em: EntityManager, row: ApprovalRow, actor: Actor): Promise<void> {
    if (!actor.scopes.includes('approve')) throw new ApproveScopeRequired();
    if (actor.keyId === row.requested_by || (await creatorOf(em, actor.keyId)) === row.requester_created_by) throw new SelfApproval(row.id);
  }

  private async carryOut(em: EntityManager, model: ModelEntity, row: ApprovalRow, approver: Actor): Promise<{ change: ChangeResult | null; record: Record<string, unknown> }> {
    const a = row.action;
    if (a.type === 'alias.move') {
      const requester: Actor = { keyId: row.requested_by, name: row.requested_by, scopes: [] };
      const reason = [row.reason, `approved by ${approver.keyId} (request ${row.id})`].filter(Boolean).join('; ');
      const change = await this.serving.applyApprovedMove(em, model, { alias: String(a.alias), version: Number(a.version), force: a.force === true, actor: requester, reason, approvalId: row.id });
      return { change, record: { revision: change.revision, changed: change.changed } };
    }
    const executor = this.actions.get(a.type);
    if (!executor) throw new ApprovalActionUnavailable(a.type);
    return { change: null, record: await executor(em, approvalView(row), approver) };
  }

  /** Expires the model's overdue requests (their events included) and answers the model. */
  private async expire(name: string): Promise<ModelEntity> {
    const [due] = await this.dataSource.query(
      `SELECT m.id FROM models m WHERE m.name = $1 AND EXISTS (SELECT 1 FROM approval_requests r WHERE r.model_id = m.id AND r.state = 'pending' AND r.expires_at <= now())`,
      [name],
    );
    if (!due) {
      const model = await this.dataSource.getRepository(ModelEntity).findOneBy({ name });
      if (!model) throw new ModelNotFound(name);
      return model;
    }
    return this.dataSource.transaction(async (em) => {
      const model = await lockModel(em, name);
      await this.store.expireDue(em, model);
      return model;
    });
  }
}
