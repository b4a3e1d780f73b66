import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor } from '../auth/scopes.js';
import { decodeIntCursor, encodeCursor } from '../common/page-cursor.js';
import type { ModelEntity } from '../registry/entities/model.entity.js';
import type { ApprovalView } from '../registry/gates/approval-store.js';
import { GateFailed } from '../registry/gates/gates.errors.js';
import { lockModel } from '../registry/model-lock.js';
import { AliasNotFound, VersionArchived, VersionNotFound } from '../registry/registry.errors.js';
import { PRODUCTION_ALIAS } from '../registry/serving-state.js';
import { ServingStateService } from '../registry/serving-state.service.js';
import { ReleaseHooks } from './release-hooks.js';
import { CandidateIsBaseline, NoProductionVersion, RolloutActive, RolloutNotActive, RolloutNotFound, TrafficSplitExists } from './releases.errors.js';
import { RolloutTransitions, StaleRollout } from './rollout-transitions.js';
import type { ListRolloutsQuery, StartRolloutDto } from './rollouts.dto.js';
import { RolloutsStore, type RolloutRow, type RolloutState } from './rollouts.store.js';
import { rolloutView } from './rollouts.views.js';

/** A start: the rollout, or the approval request it waits on (202). */
export type RolloutStarted = { rollout: ReturnType<typeof rolloutView>; pending?: undefined } | { pending: ApprovalView; rollout?: undefined };

/**
 * The rollout API: start (checked here, driven by the elected driver),
 * read, and the operator's pause, resume, abort and promote. Each action is
 * one transition, so it races safely with the driver: whichever commits
 * first wins and the other finds the rollout moved.
 */
@Injectable()
export class RolloutsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly serving: ServingStateService,
    private readonly store: RolloutsStore,
    private readonly transitions: RolloutTransitions,
    private readonly hooks: ReleaseHooks,
  ) {
    hooks.onApprovedStart((em, request) => this.startApproved(em, request));
  }

  async start(name: string, dto: StartRolloutDto, actor: Actor): Promise<RolloutStarted> {
    const { model, state } = await this.serving.stateOf(name);
    const baseline = state.aliases[PRODUCTION_ALIAS];
    if (baseline === undefined) throw new NoProductionVersion(name);
    const candidate = typeof dto.candidate === 'number' ? dto.candidate : state.aliases[dto.candidate];
    if (candidate === undefined) throw new AliasNotFound(name, String(dto.candidate));
    const [v] = await this.dataSource.query(`SELECT status FROM model_versions WHERE model_id = $1 AND version = $2`, [model.id, candidate]);
    if (!v) throw new VersionNotFound(name, candidate);
    if (v.status === 'archived') throw new VersionArchived(name, candidate);
    if (candidate === baseline) throw new CandidateIsBaseline(name, candidate);
    if ((state.traffic?.routes.filter((r) => r.weight > 0).length ?? 0) > 1) throw new TrafficSplitExists(name);
    const active = await this.store.active(name);
    if (active) throw new RolloutActive(name, active.id);
    try {
      return await this.dataSource.transaction(async (em) => {
        const locked = await lockModel(em, name);
        // The gates of production, and under require_approval a request holding this start; nothing starts until approved.
        const pending = await this.hooks.admit(em, locked, candidate, actor, { force: dto.force, reason: dto.reason, start: { ...dto, candidate } });
        if (pending) return { pending };
        const row = await this.insertStart(em, locked, dto, candidate, baseline, actor.keyId);
        return { rollout: rolloutView(row, []) };
      });
    } catch (err) {
      if (err instanceof GateFailed) await this.hooks.recordRefusal(err, actor, dto.reason);
      throw err;
    }
  }

  /** An approved `rollout.start`: in the approval's transaction (the model locked), as the requester asked it. */
  private async startApproved(em: EntityManager, request: ApprovalView): Promise<Record<string, unknown>> {
    const dto = (request.action as unknown as { start: StartRolloutDto }).start;
    const locked = await lockModel(em, request.model);
    const [prod] = await em.query(`SELECT version FROM model_aliases WHERE model_id = $1 AND alias = $2`, [locked.id, PRODUCTION_ALIAS]);
    if (!prod) throw new NoProductionVersion(request.model);
    const row = await this.insertStart(em, locked, dto, Number(dto.candidate), Number(prod.version), request.requested_by);
    return { rollout: row.id };
  }

  private async insertStart(em: EntityManager, model: ModelEntity, dto: StartRolloutDto, candidate: number, baseline: number, createdBy: string): Promise<RolloutRow> {
    const row = await this.store.insert(em, {
      model_id: model.id,
      model_name: model.name,
      candidate_ref: String(dto.candidate),
      candidate_version: candidate,
      baseline_version: baseline,
      steps: dto.steps,
      step_min_duration_s: dto.step_min_duration_s,
      analysis: dto.analysis,
      reason: dto.reason ?? null,
      pre_revision: model.servingRevision,
      created_by: createdBy,
    });
    if (!row) throw new RolloutActive(model.name);
    return row;
  }

  async list(name: string, q: ListRolloutsQuery) {
    await this.serving.stateOf(name);
    const rows = await this.store.list(name, { limit: q.limit, below: q.cursor ? decodeIntCursor(q.cursor) : undefined, state: q.state });
    const page = rows.slice(0, q.limit);
    return { model: name, rollouts: page.map((r) => rolloutView(r, null)), next_cursor: rows.length > q.limit ? encodeCursor(page[page.length - 1].id) : null };
  }

  async get(name: string, id: number) {
    const r = await this.find(name, id);
    return rolloutView(r, await this.store.windows(r.id));
  }

  pause(name: string, id: number, actor: Actor, reason?: string) {
    return this.act(name, id, 'pause', ['pending', 'running'], (r) => this.transitions.pause(r, reason ?? `paused by ${actor.keyId}`, actor));
  }

  resume(name: string, id: number, actor: Actor, reason?: string) {
    return this.act(name, id, 'resume', ['paused'], (r) => this.transitions.resume(r, reason ?? `resumed by ${actor.keyId}`, actor));
  }

  abort(name: string, id: number, actor: Actor, reason?: string) {
    return this.act(name, id, 'abort', ['pending', 'running', 'paused'], (r) =>
      // Always restore: a pending rollout read here may be started by the driver before this commits.
      this.transitions.abort(r, reason ?? `aborted by ${actor.keyId}`, { restore: true, requireOwnRevision: false, actor }),
    );
  }

  /** Skips the remaining analysis: production moves to the candidate now. */
  promote(name: string, id: number, actor: Actor, reason?: string) {
    return this.act(name, id, 'be promoted', ['pending', 'running', 'paused'], (r) =>
      this.transitions.complete(r, reason ?? `promoted by ${actor.keyId}`, ['pending', 'running', 'paused'], actor),
    );
  }

  private async act(name: string, id: number, action: string, from: RolloutState[], run: (r: RolloutRow) => Promise<RolloutRow>) {
    const r = await this.find(name, id);
    if (!from.includes(r.state)) throw new RolloutNotActive(name, id, r.state, action);
    try {
      await run(r);
    } catch (err) {
      if (!(err instanceof StaleRollout)) throw err;
      const now = await this.find(name, id);
      throw new RolloutNotActive(name, id, now.state, action);
    }
    return this.get(name, id);
  }

  private async find(name: string, id: number): Promise<RolloutRow> {
    const r = await this.store.get(name, id);
    if (!r) {
      await this.serving.stateOf(name);
      throw new RolloutNotFound(name, id);
    }
    return r;
  }
}
