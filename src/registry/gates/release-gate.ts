import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor } from '../../auth/scopes.decorator.js';
import type { ModelEntity } from '../entities/model.entity.js';
import { PRODUCTION_ALIAS } from '../serving-state.js';
import { ServingStateService } from '../serving-state.service.js';
import { type ApprovalView, ApprovalStore } from './approval-store.js';
import { type ApprovalExecutor, ApprovalActions } from './approvals.service.js';
import { type GateCheck, GateChecker } from './gate-checker.js';
import { GateFailed } from './gates.errors.js';

/**
 * What the releases module asks of gates and approvals, in one place: a
 * rollout checks the same gates as a move of `production` before it starts,
 * and under `require_approval` becomes a pending request that an approver's
 * decision carries out through the executor the releases module registers.
 */
@Injectable()
export class ReleaseGate {
  constructor(
    private readonly gates: GateChecker,
    private readonly approvals: ApprovalStore,
    private readonly actions: ApprovalActions,
    private readonly serving: ServingStateService,
  ) {}

  /** The gate check: (model, candidate version, alias) -> each gate's result. */
  check(model: string, candidateVersion: number, alias: string = PRODUCTION_ALIAS, em?: EntityManager): Promise<GateCheck> {
    return this.gates.check(model, candidateVersion, alias, em);
  }

  /**
   * Before a rollout starts, inside its transaction with the model's row
   * locked (`lockModel`): throws `GateFailed` unless the gates pass or
   * `force` is given; under `require_approval` records a pending request
   * for `action` (type `rollout.start`, with what the executor needs) and
   * answers it, and the caller answers 202 without starting anything.
   * The caller passes a `GateFailed` that escaped its transaction to
   * `recordRefusal`, so the refusal leaves its event.
   */
  async admitRollout(
    em: EntityManager,
    model: ModelEntity,
    candidateVersion: number,
    actor: Actor,
    opts: { force?: boolean; reason?: string; action: Record<string, unknown> },
  ): Promise<{ gates: GateCheck; pending: ApprovalView | null }> {
    const [cur] = await em.query(`SELECT version FROM model_aliases WHERE model_id = $1 AND alias = $2`, [model.id, PRODUCTION_ALIAS]);
    const gates = await this.gates.checkModel(em, model, candidateVersion, PRODUCTION_ALIAS, cur ? Number(cur.version) : null);
    if (!gates.passed && !opts.force) throw new GateFailed(model.name, PRODUCTION_ALIAS, candidateVersion, gates.gates);
    if (!gates.policy.require_approval) return { gates, pending: null };
    const action = { type: 'rollout.start', version: candidateVersion, ...opts.action, ...(opts.force ? { force: true } : {}) };
    return { gates, pending: await this.approvals.create(em, model, { action, reason: opts.reason, gates: gates.gates, actor }) };
  }

  /** Registers what carries out an approved `rollout.start` (or any other request type the releases module owns). */
  onApproved(type: string, executor: ApprovalExecutor): void {
    this.actions.register(type, executor);
  }

  recordRefusal(err: GateFailed, actor: Actor, reason?: string): Promise<void> {
    return this.serving.recordRefusal(err, actor, reason);
  }
}
