import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor } from '../auth/scopes.js';

/** One promotion gate's result, as a refusal lists it. */
export interface GateResult {
  gate: string;
  passed: boolean;
  detail?: string;
}

export type RolloutEventType = 'rollout.started' | 'rollout.step' | 'rollout.completed' | 'rollout.aborted';

/**
 * Where rollouts meet the promotion gates and the registry events, which
 * are built beside them. Both are no-ops here: gates refuse nothing and
 * events are not stored. The merge connects them (the gate service's check
 * for `production`, and the event store's append inside `manager`'s
 * transaction); rollouts already call both at the right moments, so this
 * file is the only one the merge changes.
 */
@Injectable()
export class ReleaseHooks {
  /** The gates a rollout checks before it starts; the failed ones (none yet). */
  async checkGates(_model: string, _candidateVersion: number, _actor: Actor): Promise<GateResult[]> {
    return [];
  }

  /** Appends a registry event in the caller's transaction (not yet: no-op). */
  async recordEvent(_manager: EntityManager, _type: RolloutEventType, _model: string, _payload: Record<string, unknown>): Promise<void> {}
}
