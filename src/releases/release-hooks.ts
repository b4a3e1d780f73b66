import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor } from '../auth/scopes.js';
import { RegistryEvents } from '../registry/events/registry-events.js';
import type { ModelEntity } from '../registry/entities/model.entity.js';
import type { ApprovalView } from '../registry/gates/approval-store.js';
import type { ApprovalExecutor } from '../registry/gates/approvals.service.js';
import { GateFailed } from '../registry/gates/gates.errors.js';
import { ReleaseGate } from '../registry/gates/release-gate.js';

export type RolloutEventType = 'rollout.started' | 'rollout.step' | 'rollout.completed' | 'rollout.aborted';

/**
 * Where rollouts meet the registry's promotion gates and events: a rollout
 * checks the gates a move of `production` would before it starts, and its
 * transitions append registry events in the transaction that moves traffic.
 */
@Injectable()
export class ReleaseHooks {
  constructor(
    private readonly gate: ReleaseGate,
    private readonly events: RegistryEvents,
  ) {}

  /**
   * Inside the start's transaction, the model's row locked: the gates of
   * `production` (a refusal throws `GATE_FAILED` unless `force`), and under
   * the model's `require_approval` a pending `rollout.start` request that
   * holds the whole start request; nothing starts until it is approved.
   */
  async admit(
    em: EntityManager,
    model: ModelEntity,
    candidateVersion: number,
    actor: Actor,
    opts: { force?: boolean; reason?: string; start: Record<string, unknown> },
  ): Promise<ApprovalView | null> {
    const r = await this.gate.admitRollout(em, model, candidateVersion, actor, { force: opts.force, reason: opts.reason, action: { start: opts.start } });
    return r.pending;
  }

  /** A refusal that escaped the start's transaction still leaves its `gate.refused` event. */
  recordRefusal(err: GateFailed, actor: Actor, reason?: string): Promise<void> {
    return this.gate.recordRefusal(err, actor, reason);
  }

  /** What carries out an approved rollout start (run in the approval's transaction). */
  onApprovedStart(executor: ApprovalExecutor): void {
    this.gate.onApproved('rollout.start', executor);
  }

  /** Appends a registry event in the caller's transaction, so it commits with the move it describes. */
  async recordEvent(manager: EntityManager, type: RolloutEventType, model: string, payload: Record<string, unknown>): Promise<void> {
    const version = typeof payload.candidate_version === 'number' ? payload.candidate_version : null;
    const rollout = payload.rollout;
    await this.events.record(manager, { type, model, version, actor: rollout === undefined ? null : `rollout:${String(rollout)}`, data: payload });
  }
}
