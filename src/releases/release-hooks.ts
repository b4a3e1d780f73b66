import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor } from '../auth/scopes.js';
import { RegistryEvents } from '../registry/events/registry-events.js';
import { GateFailed } from '../registry/gates/gates.errors.js';
import { ReleaseGate } from '../registry/gates/release-gate.js';
import { PRODUCTION_ALIAS } from '../registry/serving-state.js';

/** One promotion gate's result, as a refusal lists it. */
export interface GateResult {
  gate: string;
  passed: boolean;
  detail?: string;
}

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
   * The gates of `production` for the candidate. A refusal is the registry's
   * own `GATE_FAILED` listing every gate, and leaves its `gate.refused`
   * event like a refused alias move; nothing is returned then.
   */
  async checkGates(model: string, candidateVersion: number, actor: Actor): Promise<GateResult[]> {
    const check = await this.gate.check(model, candidateVersion, PRODUCTION_ALIAS);
    if (check.passed) return [];
    const refusal = new GateFailed(model, PRODUCTION_ALIAS, candidateVersion, check.gates);
    await this.gate.recordRefusal(refusal, actor, 'rollout start');
    throw refusal;
  }

  /** Appends a registry event in the caller's transaction, so it commits with the move it describes. */
  async recordEvent(manager: EntityManager, type: RolloutEventType, model: string, payload: Record<string, unknown>): Promise<void> {
    const version = typeof payload.candidate_version === 'number' ? payload.candidate_version : null;
    const rollout = payload.rollout;
    await this.events.record(manager, { type, model, version, actor: rollout === undefined ? null : `rollout:${String(rollout)}`, data: payload });
  }
}
