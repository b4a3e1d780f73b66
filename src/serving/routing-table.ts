import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { InjectLogger } from '../common/common.module.js';
import type { Logger } from '../common/logger.js';
import { Metrics } from '../metrics/metrics.js';
import type { ServingState } from '../registry/serving-state.js';
import { versionKey } from './loaded-version.js';
import { ModelRuntime } from './model-runtime.js';
import { retryDelayMs } from './retry-backoff.js';
import { answeringVersions, resolveRoutingPlan, type RoutingPlan, type RoutingPlanError, versionsToLoad } from './routing/routing-plan.js';
import { TrafficRouter } from './routing/traffic-router.js';

/** How one model serves right now: built from one serving revision. */
export interface ModelRouting {
  readonly model: string;
  readonly revision: number;
  readonly state: ServingState;
  readonly plan: RoutingPlan | RoutingPlanError;
  readonly router?: TrafficRouter;
  /** Every version this revision needs loaded: routes, shadows, fallback, alias targets. */
  readonly versions: readonly number[];
}

/** A newer revision than the one serving, waiting until every version it needs is loaded here. */
export interface PendingRevision {
  readonly model: string;
  readonly revision: number;
  /** The revision serving meanwhile. */
  readonly appliedRevision: number;
  /** Its versions that are not loaded yet. */
  readonly waitingFor: readonly number[];
  /** Epoch ms of the first attempt to apply it. */
  readonly since: number;
  /** Load attempts so far. */
  readonly attempts: number;
  /** Epoch ms of the next attempt. */
  readonly nextAttemptAt: number;
}

interface PendingEntry extends PendingRevision {
  readonly state: ServingState;
  readonly timer: NodeJS.Timeout;
  /** Lets go of its versions' reservation: loaded ones stay safe from eviction while it waits. */
  readonly release: () => void;
}

/** The first retry of a pending revision; later ones double up to MODELGATE_RECONCILE_MS. */
const FIRST_RETRY_MS = 250;

/**
 * The in-memory routing table, one entry per model, swapped whole when a
 * newer serving revision arrives. A revision is applied only once every
 * version it needs is loaded here, so routed traffic never waits for a load
 * and a version that cannot load (the artifact store is down) never takes
 * over from one that serves: the revision before keeps serving, and the new
 * one is pending, retried with backoff until its versions load or a newer
 * revision replaces it. A model that answered no routed traffic here (new,
 * without routes, or with nothing loaded) applies a revision at once, loaded
 * or not: there is nothing to keep, and readiness says what is missing. The table
 * survives a database outage because nothing here reads the database per
 * request.
 */
@Injectable()
export class RoutingTable implements OnModuleDestroy {
  private readonly entries = new Map<string, ModelRouting>();
  private readonly pending = new Map<string, PendingEntry>();
  /** Per-model chain so revisions of one model apply in order. */
  private readonly chains = new Map<string, Promise<void>>();
  private readonly maxRetryMs: number;
  private stopped = false;

  constructor(
    private readonly runtime: ModelRuntime,
    private readonly metrics: Metrics,
    @InjectConfig() config: AppConfig,
    @InjectLogger() private readonly logger: Logger,
  ) {
    this.maxRetryMs = Math.max(FIRST_RETRY_MS, config.serving.reconcileMs);
  }

  get(model: string): ModelRouting | undefined {
    return this.entries.get(model);
  }

  models(): IterableIterator<ModelRouting> {
    return this.entries.values();
  }

  /** The revision serving now. */
  revisionOf(model: string): number | undefined {
    return this.entries.get(model)?.revision;
  }

  /** The newest revision this table knows: pending or applied. Older ones need not be fetched again. */
  knownRevisionOf(model: string): number | undefined {
    const applied = this.entries.get(model)?.revision;
    const pending = this.pending.get(model)?.revision;
    if (pending === undefined) return applied;
    return applied === undefined ? pending : Math.max(applied, pending);
  }

  /** Revisions waiting for their versions to load, oldest model name first. */
  pendingRevisions(): PendingRevision[] {
    return [...this.pending.values()]
      .map(({ model, revision, appliedRevision, waitingFor, since, attempts, nextAttemptAt }) => ({ model, revision, appliedRevision, waitingFor, since, attempts, nextAttemptAt }))
      .sort((a, b) => a.model.localeCompare(b.model));
  }

  /** Applies a serving revision unless a newer one is already known; resolves once it serves or is pending. */
  apply(model: string, revision: number, state: ServingState): Promise<void> {
    return this.chain(model, () => this.doApply(model, revision, state)).catch((err) => {
      this.logger.error({ model, revision, err: (err as Error).message }, 'could not apply serving revision');
    });
  }

  remove(model: string): Promise<void> {
    return this.chain(model, async () => {
      this.entries.delete(model);
      this.dropPending(model);
      this.metrics.servingRevision.remove({ model, state: 'applied' });
      this.updateRouted();
      await this.runtime.unloadModel(model);
    });
  }

  /** Versions that should be loaded but are not (readiness, retries). */
  missing(): { model: string; version: number }[] {
    const out: { model: string; version: number }[] = [];
    for (const e of this.entries.values()) {
      for (const v of e.versions) if (!this.runtime.isLoaded(e.model, v)) out.push({ model: e.model, version: v });
    }
    return out;
  }

  /** Models whose routed traffic has no loaded version to answer it: no picked route and no fallback is loaded. */
  servingNothing(): string[] {
    const out: string[] = [];
    for (const e of this.entries.values()) if (this.servesNothing(e)) out.push(e.model);
    return out;
  }

  onModuleDestroy(): void {
    this.stopped = true;
    for (const model of [...this.pending.keys()]) this.dropPending(model);
  }

  private chain(model: string, step: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(model) ?? Promise.resolve();
    const next = prev.then(step);
    const settled = next.catch(() => {});
    this.chains.set(model, settled);
    void settled.finally(() => {
      if (this.chains.get(model) === settled) this.chains.delete(model);
    });
    return next;
  }

  private async doApply(model: string, revision: number, state: ServingState): Promise<void> {
    if (this.stopped || (this.knownRevisionOf(model) ?? -1) > revision) return;
    const current = this.entries.get(model);
    if (current && current.revision >= revision) return;
    const plan = resolveRoutingPlan(state);
    const versions = new Set<number>(Object.values(state.aliases));
    if (plan.ok) for (const v of versionsToLoad(plan)) versions.add(v);
    // Reserved until the entry below marks them routed (or its pending
    // revision gives up): a load finishing elsewhere must not evict a
    // version this revision just loaded.
    const release = this.runtime.reserve([...versions].map((v) => versionKey(model, v)));
    let kept = false;
    try {
      const loads = await Promise.allSettled([...versions].map((v) => this.runtime.load(model, v, 'routed')));
      const waitingFor: number[] = [];
      loads.forEach((r, i) => {
        if (r.status === 'fulfilled') return;
        waitingFor.push([...versions][i]);
        this.logger.warn({ model, revision, version: [...versions][i], err: (r.reason as Error).message }, 'version of a serving revision not loaded; will retry');
      });
      // A newer revision may have been applied, or become pending, while this one was loading.
      if (this.stopped || (this.knownRevisionOf(model) ?? -1) > revision) return;
      const now = this.entries.get(model);
      if (now && now.revision >= revision) return;
      // Only a revision that answers routed traffic is worth keeping: a model
      // that served nothing (or had no routes) takes the new one at once.
      if (waitingFor.length && now?.plan.ok && !this.servesNothing(now)) {
        this.setPending(model, revision, state, now.revision, waitingFor, release);
        kept = true;
        return;
      }
      this.dropPending(model);
      this.setEntry(model, revision, state, plan, versions);
    } finally {
      if (!kept) release();
    }
  }

  private setPending(model: string, revision: number, state: ServingState, appliedRevision: number, waitingFor: number[], release: () => void): void {
    const before = this.pending.get(model);
    const again = before?.revision === revision;
    const attempts = again ? before.attempts + 1 : 1;
    const delay = retryDelayMs(attempts, FIRST_RETRY_MS, this.maxRetryMs);
    const timer = setTimeout(() => void this.apply(model, revision, state), delay);
    timer.unref();
    this.dropPending(model);
    const since = again ? before.since : Date.now();
    this.pending.set(model, { model, revision, state, appliedRevision, waitingFor, since, attempts, nextAttemptAt: Date.now() + delay, timer, release });
    this.metrics.servingRevision.set({ model, state: 'pending' }, revision);
    if (!again) {
      this.logger.warn(
        { model, revision, applied_revision: appliedRevision, waiting_for: waitingFor },
        'serving revision pending: its versions are not loaded here; the revision before keeps serving',
      );
    }
  }

  private dropPending(model: string): void {
    const p = this.pending.get(model);
    if (!p) return;
    clearTimeout(p.timer);
    this.pending.delete(model);
    this.metrics.servingRevision.remove({ model, state: 'pending' });
    p.release();
  }

  private servesNothing(e: ModelRouting): boolean {
    if (!e.plan.ok) return false;
    return !answeringVersions(e.plan).some((v) => this.runtime.isLoaded(e.model, v));
  }

  private setEntry(model: string, revision: number, state: ServingState, plan: RoutingPlan | RoutingPlanError, versions: Set<number>): void {
    this.entries.set(model, {
      model,
      revision,
      state,
      plan,
      router: plan.ok ? new TrafficRouter(plan, { salt: model }) : undefined,
      versions: [...versions].sort((a, b) => a - b),
    });
    this.metrics.servingRevision.set({ model, state: 'applied' }, revision);
    this.updateRouted();
    this.logger.info({ model, revision, plan: plan.ok ? plan.routes : plan.message }, 'serving revision applied');
  }

  private updateRouted(): void {
    const keys: string[] = [];
    for (const e of this.entries.values()) for (const v of e.versions) keys.push(versionKey(e.model, v));
    this.runtime.setRouted(keys);
  }
}
