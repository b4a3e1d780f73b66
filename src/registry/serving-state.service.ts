import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { Actor } from '../auth/scopes.decorator.js';
import { pageBelow, toPage } from '../common/page-cursor.js';
import type { HistoryQuery, TrafficPolicyDto } from './dto/serving.dto.js';
import { ModelAliasEntity } from './entities/model-alias.entity.js';
import { ModelEntity } from './entities/model.entity.js';
import { type RevisionChange, ServingRevisionEntity } from './entities/serving-revision.entity.js';
import { lockModel } from './model-lock.js';
import {
  AliasInUse,
  AliasNotFound,
  ModelNotFound,
  NothingToRollBack,
  RevisionNotFound,
} from './registry.errors.js';
import { SERVING_CHANNEL, ServingStateEvents } from './serving-state.events.js';
import { RegistryEvents } from './events/registry-events.js';
import type { RegistryEventType } from './events/event-types.js';
import { type ApprovalView, ApprovalStore } from './gates/approval-store.js';
import { GateChecker, type GateCheck } from './gates/gate-checker.js';
import { GateFailed } from './gates/gates.errors.js';
import type { ServingState } from './serving-state.js';
import { revisionView, type RevisionView } from './registry.views.js';
import { sameState } from './same-state.js';
import { normalisePolicy, readState, requireReadyVersion, validateState, writeAliases } from './serving-state.rows.js';

export interface ChangeResult {
  model: string;
  revision: number;
  changed: boolean;
  before: ServingState;
  after: ServingState;
}

/** How an alias move meets the release policy. */
export interface AliasMoveOptions {
  /** Pass failing promotion gates (the caller has checked that a reason is given); never an approval. */
  force?: boolean;
  /** Skip gates and approval (`setAlias`); not reachable over HTTP. */
  ungated?: boolean;
}

/** An alias move of a guarded alias under `require_approval`: nothing moved, a request waits. */
export interface PendingMove {
  pending: ApprovalView;
  gates: GateCheck;
}

/** What the revision row records beside the state. */
interface RevisionMeta {
  forced?: boolean;
  gates?: GateCheck | null;
  approvalId?: string | null;
}

const EVENT_OF_CHANGE: Record<RevisionChange, RegistryEventType> = {
  alias_set: 'alias.moved',
  alias_deleted: 'alias.deleted',
  traffic_set: 'traffic.changed',
  traffic_cleared: 'traffic.changed',
  rollback: 'rollback',
};

/**
 * Aliases and traffic policies: what should serve. Each change runs in one
 * transaction under the model's row lock, appends a revision holding the
 * whole state before and after, and NOTIFYs other replicas on commit.
 */
@Injectable()
export class ServingStateService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly events: ServingStateEvents,
    private readonly registryEvents: RegistryEvents,
    private readonly gates: GateChecker,
    private readonly approvals: ApprovalStore,
  ) {}

  /** The current serving state of every model (serving's start-up and reconcile). */
  async allStates(): Promise<{ model: string; revision: number; state: ServingState }[]> {
    const models = await this.dataSource.getRepository(ModelEntity).find({ order: { name: 'ASC' } });
    const aliases = await this.dataSource.getRepository(ModelAliasEntity).find();
    return models.map((m) => ({
      model: m.name,
      revision: m.servingRevision,
      state: {
        aliases: Object.fromEntries(aliases.filter((a) => a.modelId === m.id).map((a) => [a.alias, a.version])),
        traffic: m.trafficPolicy,
      },
    }));
  }

  async stateOf(name: string): Promise<{ model: ModelEntity; revision: number; state: ServingState }> {
    const model = await this.dataSource.getRepository(ModelEntity).findOneBy({ name });
    if (!model) throw new ModelNotFound(name);
    return { model, revision: model.servingRevision, state: await readState(this.dataSource.manager, model) };
  }

  /**
   * Points an alias at a version, with no gates and no approval: for moves
   * whose gates and approval were met before they began (a rollout
   * completing). Requests from people go through `moveAlias`.
   */
  setAlias(name: string, alias: string, version: number, actor: Actor, reason?: string): Promise<ChangeResult> {
    return this.moveAlias(name, alias, version, actor, reason, { ungated: true }) as Promise<ChangeResult>;
  }

  /**
   * Points an alias at a version as a person asked (`PUT .../aliases/{alias}`).
   * A guarded alias (the model's release policy) checks the promotion gates
   * first: a failure is `GATE_FAILED` (and a `gate.refused` event) unless
   * forced; under `require_approval` nothing moves and a pending request is
   * answered instead.
   */
  async moveAlias(name: string, alias: string, version: number, actor: Actor, reason?: string, opts: AliasMoveOptions = {}): Promise<ChangeResult | PendingMove> {
    try {
      const result = await this.dataSource.transaction(async (em): Promise<ChangeResult | PendingMove> => {
        const model = await lockModel(em, name);
        const before = await readState(em, model);
        await requireReadyVersion(em, model, version);
        const after = { ...before, aliases: { ...before.aliases, [alias]: version } };
        if (opts.ungated || sameState(before, after)) return this.writeRevision(em, model, actor, reason, 'alias_set', alias, before, after);
        const gates = await this.gates.checkModel(em, model, version, alias, before.aliases[alias] ?? null);
        if (!gates.guarded) return this.writeRevision(em, model, actor, reason, 'alias_set', alias, before, after);
        if (!gates.passed && !opts.force) throw new GateFailed(name, alias, version, gates.gates);
        if (gates.policy.require_approval) {
          const action = { type: 'alias.move', alias, version, ...(opts.force ? { force: true } : {}) };
          return { pending: await this.approvals.create(em, model, { action, reason, gates: gates.gates, actor }), gates };
        }
        return this.writeRevision(em, model, actor, reason, 'alias_set', alias, before, after, { forced: !!opts.force, gates });
      });
      if ('changed' in result) await this.published(result);
      return result;
    } catch (err) {
      if (err instanceof GateFailed) await this.recordRefusal(err, actor, reason);
      throw err;
    }
  }

  /**
   * Carries out an approved alias move inside the approval's transaction
   * (the caller holds the model's lock and checked that nothing moved since
   * the request); the caller publishes the result after its commit.
   */
  async applyApprovedMove(em: EntityManager, model: ModelEntity, r: { alias: string; version: number; force: boolean; actor: Actor; reason?: string; approvalId: string }): Promise<ChangeResult> {
    const before = await readState(em, model);
    await requireReadyVersion(em, model, r.version);
    const gates = await this.gates.checkModel(em, model, r.version, r.alias, before.aliases[r.alias] ?? null);
    if (!gates.passed && !r.force) throw new GateFailed(model.name, r.alias, r.version, gates.gates);
    const after = { ...before, aliases: { ...before.aliases, [r.alias]: r.version } };
    return this.writeRevision(em, model, r.actor, r.reason, 'alias_set', r.alias, before, after, { forced: r.force, gates: gates.guarded ? gates : null, approvalId: r.approvalId });
  }

  /** The gate check under the caller's lock (approval requests check before they are recorded). */
  gateCheck(em: EntityManager, model: ModelEntity, version: number, alias: string, currentVersion: number | null): Promise<GateCheck> {
    return requireReadyVersion(em, model, version).then(() => this.gates.checkModel(em, model, version, alias, currentVersion));
  }

  /** Tells this replica's serving layer (other replicas heard the NOTIFY at commit). */
  async published(result: ChangeResult): Promise<void> {
    if (result.changed) await this.events.publish({ model: result.model, revision: result.revision });
  }

  /** A refusal leaves its event even though its transaction rolled back, like its audit row. */
  async recordRefusal(err: GateFailed, actor: Actor, reason?: string): Promise<void> {
    await this.registryEvents.recordAlone({
      type: 'gate.refused',
      model: err.model,
      version: err.version,
      actor: actor.keyId,
      data: { alias: err.alias, reason: reason ?? null, failed: err.details.failed, gates: err.gates },
    });
  }

  deleteAlias(name: string, alias: string, actor: Actor, reason?: string): Promise<ChangeResult> {
    return this.change(name, actor, reason, 'alias_deleted', alias, async (_em, _model, before) => {
      if (!(alias in before.aliases)) throw new AliasNotFound(name, alias);
      if (before.traffic?.routes.some((r) => r.alias === alias)) throw new AliasInUse(name, alias);
      const aliases = { ...before.aliases };
      delete aliases[alias];
      return { ...before, aliases };
    });
  }

  setTraffic(name: string, dto: TrafficPolicyDto, actor: Actor): Promise<ChangeResult> {
    const { reason, ...policy } = dto;
    return this.change(name, actor, reason, 'traffic_set', null, async (em, model, before) => {
      const traffic = normalisePolicy(policy);
      await validateState(em, model, { aliases: before.aliases, traffic });
      return { ...before, traffic };
    });
  }

  clearTraffic(name: string, actor: Actor, reason?: string): Promise<ChangeResult> {
    return this.change(name, actor, reason, 'traffic_cleared', null, async (_em, _model, before) => ({ ...before, traffic: null }));
  }

  /**
   * Restores the state of an earlier revision as a new revision, like
   * `kubectl rollout undo`: by default the one before the current, so rolling
   * back twice returns to where you were.
   */
  rollback(name: string, actor: Actor, toRevision?: number, reason?: string): Promise<ChangeResult & { restored_revision: number }> {
    let restored = 0;
    return this.change(
      name,
      actor,
      reason,
      'rollback',
      null,
      async (em, model, _before) => {
        const target = toRevision ?? model.servingRevision - 1;
        if (target < 1 || model.servingRevision < 1) throw new NothingToRollBack(name);
        if (target > model.servingRevision) throw new RevisionNotFound(name, target);
        const row = await em.getRepository(ServingRevisionEntity).findOneBy({ modelId: model.id, revision: target });
        if (!row) throw new RevisionNotFound(name, target);
        restored = target;
        await validateState(em, model, row.after);
        return row.after;
      },
      () => restored,
    ).then((r) => ({ ...r, restored_revision: restored }));
  }

  /**
   * A whole serving state computed by the caller (a rollout's step, its
   * completion or its abort), appended as one ordinary revision and checked
   * like any other. `alongside` runs in the same transaction, under the
   * model's row lock, whether or not the state changed: the caller's own
   * record of the move commits with the revision or not at all.
   */
  apply(
    name: string,
    actor: Actor,
    reason: string,
    change: RevisionChange,
    alias: string | null,
    compute: (em: EntityManager, model: ModelEntity, before: ServingState) => Promise<ServingState>,
    alongside: (em: EntityManager, result: ChangeResult) => Promise<void>,
    restoredRevision?: number,
  ): Promise<ChangeResult> {
    return this.change(
      name,
      actor,
      reason,
      change,
      alias,
      async (em, model, before) => {
        const after = await compute(em, model, before);
        await validateState(em, model, after);
        return after;
      },
      restoredRevision === undefined ? undefined : () => restoredRevision,
      alongside,
    );
  }

  /** Newest first, one page at a time (`next_cursor`). */
  async history(name: string, q: HistoryQuery): Promise<{ revisions: RevisionView[]; next_cursor: string | null }> {
    const model = await this.dataSource.getRepository(ModelEntity).findOneBy({ name });
    if (!model) throw new ModelNotFound(name);
    const below = pageBelow(q.before, q.cursor);
    const qb = this.dataSource
      .getRepository(ServingRevisionEntity)
      .createQueryBuilder('r')
      .where('r.model_id = :id', { id: model.id })
      .orderBy('r.revision', 'DESC')
      .limit(q.limit + 1);
    if (below !== undefined) qb.andWhere('r.revision < :below', { below });
    const { items, next_cursor } = toPage(await qb.getMany(), q.limit, (r) => r.revision);
    return { revisions: items.map(revisionView), next_cursor };
  }

  private async change(
    name: string,
    actor: Actor,
    reason: string | undefined,
    change: RevisionChange,
    alias: string | null,
    compute: (em: EntityManager, model: ModelEntity, before: ServingState) => Promise<ServingState>,
    restoredRevision?: () => number,
    alongside?: (em: EntityManager, result: ChangeResult) => Promise<void>,
  ): Promise<ChangeResult> {
    const result = await this.dataSource.transaction(async (em) => {
      const model = await lockModel(em, name);
      const before = await readState(em, model);
      const after = await compute(em, model, before);
      const done = await this.writeRevision(em, model, actor, reason, change, alias, before, after, {}, restoredRevision?.() ?? null);
      await alongside?.(em, done);
      return done;
    });
    await this.published(result);
    return result;
  }

  /** Writes a change under the model's lock: aliases, the revision row, its registry event, the NOTIFY. */
  private async writeRevision(
    em: EntityManager,
    model: ModelEntity,
    actor: Actor,
    reason: string | undefined,
    change: RevisionChange,
    alias: string | null,
    before: ServingState,
    after: ServingState,
    meta: RevisionMeta = {},
    restoredRevision: number | null = null,
  ): Promise<ChangeResult> {
    const name = model.name;
    // A rollback always records itself, even when it restores an identical state.
    if (change !== 'rollback' && sameState(before, after)) {
      return { model: name, revision: model.servingRevision, changed: false, before, after };
    }
    await writeAliases(em, model, before, after, actor.keyId);
    const revision = model.servingRevision + 1;
    await em.getRepository(ServingRevisionEntity).insert({
      modelId: model.id,
      revision,
      change,
      alias,
      actor: actor.keyId,
      reason: reason ?? null,
      before,
      after,
      restoredRevision,
      forced: meta.forced ?? false,
      gates: meta.gates?.gates ?? null,
      approvalId: meta.approvalId ?? null,
    });
    await em
      .getRepository(ModelEntity)
      .update({ id: model.id }, { servingRevision: revision, trafficPolicy: after.traffic, updatedAt: () => 'now()' } as any);
    model.servingRevision = revision;
    await this.registryEvents.record(em, {
      type: EVENT_OF_CHANGE[change],
      model: name,
      version: alias !== null ? (after.aliases[alias] ?? before.aliases[alias] ?? null) : null,
      actor: actor.keyId,
      data: {
        revision,
        reason: reason ?? null,
        ...(alias !== null ? { alias, from: before.aliases[alias] ?? null, to: after.aliases[alias] ?? null } : {}),
        ...(change === 'traffic_set' || change === 'traffic_cleared' ? { before: before.traffic, after: after.traffic } : {}),
        ...(change === 'rollback' ? { restored_revision: restoredRevision, before, after } : {}),
        ...(meta.forced ? { forced: true } : {}),
        ...(meta.approvalId ? { approval_id: meta.approvalId } : {}),
      },
    });
    await em.query('SELECT pg_notify($1, $2)', [SERVING_CHANNEL, JSON.stringify({ model: name, revision })]);
    return { model: name, revision, changed: true, before, after };
  }
}
