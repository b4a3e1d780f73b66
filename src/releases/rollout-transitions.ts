import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Actor } from '../auth/scopes.js';
import type { RevisionChange } from '../registry/entities/serving-revision.entity.js';
import { PRODUCTION_ALIAS, type ServingState, type TrafficPolicy } from '../registry/serving-state.js';
import { ServingStateService } from '../registry/serving-state.service.js';
import { ReleaseHooks, type RolloutEventType } from './release-hooks.js';
import { RolloutsStore, type RolloutPatch, type RolloutRow, type RolloutState, type StepRecord } from './rollouts.store.js';

/** The variants (route names) a rollout splits traffic into: the monitor keeps a series for each. */
export const BASELINE_VARIANT = 'baseline';
export const CANDIDATE_VARIANT = 'candidate';

/** Serving revisions a rollout writes carry this actor, so history shows who moved the traffic. */
export const rolloutActor = (id: number): Actor => ({ keyId: `rollout:${id}`, name: `rollout ${id}`, scopes: [] });

/** The rollout moved (or its state changed) under our feet: this transition is dropped, the next tick sees the new state. */
export class StaleRollout extends Error {}

/** Keys of a traffic policy other than its routes (sticky, shadow, fallback, timeout), kept through a rollout. */
function extras(t: TrafficPolicy | null): Omit<TrafficPolicy, 'routes'> {
  if (!t) return {};
  const { routes: _r, ...rest } = t;
  return rest;
}

/**
 * The traffic of a step: baseline first, candidate second, always in that
 * order. Buckets map to routes by cumulative weight, so as the candidate's
 * weight rises its share of the buckets only grows: a sticky user who saw
 * the candidate at 5% still sees it at 25%.
 */
export function stepTraffic(r: Pick<RolloutRow, 'baseline_version' | 'candidate_version'>, weight: number, pre: TrafficPolicy | null): TrafficPolicy {
  return {
    ...extras(pre),
    routes: [
      { version: r.baseline_version, weight: 100 - weight, name: BASELINE_VARIANT },
      { version: r.candidate_version, weight, name: CANDIDATE_VARIANT },
    ],
  };
}

interface Transition {
  /** Which state the rollout must be in for this to apply (else StaleRollout). */
  from: readonly RolloutState[];
  /** The step it must be at, when it matters. */
  step?: number;
  /** The driver's moves also require that nobody changed the serving state since its last one. */
  requireOwnRevision?: boolean;
  reason: string;
  change: RevisionChange;
  alias?: string | null;
  restoredRevision?: number;
  /** The new serving state, or `before` to change none. */
  serving: (em: EntityManager, before: ServingState, r: RolloutRow) => Promise<ServingState>;
  patch: (r: RolloutRow, revision: number, changed: boolean, now: Date) => RolloutPatch;
  event?: RolloutEventType;
  eventPayload?: (r: RolloutRow, revision: number) => Record<string, unknown>;
}

/**
 * Every change of a rollout's state, and the traffic move that goes with
 * it, in one transaction: the serving revision (an ordinary one, through
 * ServingStateService) and the rollout row commit together, under the
 * model's lock, so a kill between the two cannot happen and a new leader
 * continues from exactly the recorded step.
 */
@Injectable()
export class RolloutTransitions {
  constructor(
    private readonly serving: ServingStateService,
    private readonly store: RolloutsStore,
    private readonly hooks: ReleaseHooks,
  ) {}

  async run(r: RolloutRow, t: Transition, actor: Actor = rolloutActor(r.id)): Promise<RolloutRow> {
    let fresh: RolloutRow | undefined;
    await this.serving.apply(
      r.model_name,
      actor,
      t.reason,
      t.change,
      t.alias ?? null,
      async (em, _model, before) => {
        fresh = await this.store.get(r.model_name, r.id, em, true);
        if (!fresh || !t.from.includes(fresh.state) || (t.step !== undefined && fresh.current_step !== t.step)) throw new StaleRollout();
        return t.serving(em, before, fresh);
      },
      async (em, result) => {
        const now = new Date();
        const revisionBefore = result.changed ? result.revision - 1 : result.revision;
        if (t.requireOwnRevision && revisionBefore !== fresh!.last_revision) throw new StaleRollout();
        const patch = t.patch(fresh!, result.revision, result.changed, now);
        await this.store.update(em, r.id, { ...patch, last_revision: result.revision });
        if (t.event) await this.hooks.recordEvent(em, t.event, r.model_name, { rollout: r.id, ...(t.eventPayload?.(fresh!, result.revision) ?? {}) });
      },
      t.restoredRevision,
    );
    return (await this.store.get(r.model_name, r.id))!;
  }

  /** Starts a pending rollout at step 0, or moves a running one to the next step. */
  toStep(r: RolloutRow, step: number, why: string): Promise<RolloutRow> {
    const weight = r.steps[step];
    const starting = r.state === 'pending';
    return this.run(r, {
      from: starting ? ['pending'] : ['running'],
      step: starting ? 0 : step - 1,
      requireOwnRevision: !starting,
      reason: `rollout ${r.id}: step ${step + 1} of ${r.steps.length}, ${weight}% to version ${r.candidate_version} (${why})`,
      change: 'traffic_set',
      serving: async (em, before) => ({ ...before, traffic: stepTraffic(r, weight, await this.preTraffic(em, r)) }),
      patch: (f, revision, _c, now) => ({
        state: 'running',
        current_step: step,
        step_started_at: now,
        history: [...closeLast(f.history, 'passed', now), { step, weight, started_at: now.toISOString(), ended_at: null, outcome: null, revision }],
      }),
      event: starting ? 'rollout.started' : 'rollout.step',
      eventPayload: (f) => ({ step, weight, candidate_version: f.candidate_version, baseline_version: f.baseline_version }),
    });
  }

  /** `production` moves to the candidate and the split is cleared, in one revision. */
  complete(r: RolloutRow, why: string, from: readonly RolloutState[], actor?: Actor): Promise<RolloutRow> {
    const promoted = why !== 'every step passed';
    return this.run(
      r,
      {
        from,
        requireOwnRevision: !promoted,
        reason: `rollout ${r.id}: ${promoted ? 'promoted' : 'completed'}, production to version ${r.candidate_version} (${why})`,
        change: 'alias_set',
        alias: PRODUCTION_ALIAS,
        serving: async (em, before) => {
          const pre = await this.preTraffic(em, r);
          const keep = extras(pre);
          return {
            aliases: { ...before.aliases, [PRODUCTION_ALIAS]: r.candidate_version },
            traffic: Object.keys(keep).length ? { ...keep, routes: [{ alias: PRODUCTION_ALIAS, weight: 100 }] } : null,
          };
        },
        patch: (f, _rev, _c, now) => ({ state: 'completed', state_reason: why, finished_at: now, history: closeLast(f.history, promoted ? 'promoted' : 'passed', now) }),
        event: 'rollout.completed',
        eventPayload: (f) => ({ candidate_version: f.candidate_version, promoted }),
      },
      actor,
    );
  }

  /**
   * Restores the serving state of the revision before the rollout (as a
   * rollback revision), unless `restore` is false: a manual rollback has
   * moved the traffic already and is not undone.
   */
  abort(r: RolloutRow, why: string, opts: { restore: boolean; requireOwnRevision: boolean; actor?: Actor }): Promise<RolloutRow> {
    return this.run(
      r,
      {
        from: ['pending', 'running', 'paused'],
        requireOwnRevision: opts.requireOwnRevision,
        reason: `rollout ${r.id}: aborted (${why})`,
        change: opts.restore ? 'rollback' : 'traffic_set',
        restoredRevision: opts.restore ? r.pre_revision : undefined,
        serving: async (em, before) => (opts.restore ? this.stateAt(em, r.model_id, r.pre_revision) : before),
        patch: (f, _rev, _c, now) => ({ state: 'aborted', state_reason: why, finished_at: now, history: closeLast(f.history, 'aborted', now) }),
        event: 'rollout.aborted',
        eventPayload: (f) => ({ candidate_version: f.candidate_version, step: f.current_step, weight: f.steps[f.current_step], reason: why }),
      },
      opts.actor,
    );
  }

  /** Pauses without moving traffic; the step's clock starts again on resume. */
  pause(r: RolloutRow, why: string, actor?: Actor): Promise<RolloutRow> {
    return this.run(
      r,
      {
        from: ['pending', 'running'],
        reason: `rollout ${r.id}: paused (${why})`,
        change: 'traffic_set',
        serving: async (_em, before) => before,
        patch: (f, _rev, _c, now) => ({ state: 'paused', state_reason: why, history: f.history.length ? closeLast(f.history, 'paused', now) : f.history }),
      },
      actor,
    );
  }

  /** Puts the current step's traffic back (a manual change may have moved it) and starts the step afresh. */
  resume(r: RolloutRow, why: string, actor: Actor): Promise<RolloutRow> {
    const step = r.current_step;
    const weight = r.steps[step];
    return this.run(
      r,
      {
        from: ['paused'],
        reason: `rollout ${r.id}: resumed at step ${step + 1} of ${r.steps.length}, ${weight}% to version ${r.candidate_version} (${why})`,
        change: 'traffic_set',
        serving: async (em, before) => ({ ...before, traffic: stepTraffic(r, weight, await this.preTraffic(em, r)) }),
        patch: (f, revision, _c, now) => ({
          state: 'running',
          state_reason: why,
          step_started_at: now,
          history: [...f.history, { step, weight, started_at: now.toISOString(), ended_at: null, outcome: null, revision }],
        }),
      },
      actor,
    );
  }

  private async stateAt(em: EntityManager, modelId: string, revision: number): Promise<ServingState> {
    const [row] = await em.query(`SELECT after FROM serving_revisions WHERE model_id = $1 AND revision = $2`, [modelId, revision]);
    if (!row) throw new Error(`serving revision ${revision} is missing`);
    return row.after as ServingState;
  }

  private async preTraffic(em: EntityManager, r: RolloutRow): Promise<TrafficPolicy | null> {
    return (await this.stateAt(em, r.model_id, r.pre_revision)).traffic;
  }
}

function closeLast(history: StepRecord[], outcome: StepRecord['outcome'], now: Date): StepRecord[] {
  const out = [...history];
  const last = out[out.length - 1];
  if (last && last.ended_at === null) out[out.length - 1] = { ...last, ended_at: now.toISOString(), outcome };
  return out;
}
