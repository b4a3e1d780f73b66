import { Injectable } from '@nestjs/common';
import { InjectLogger } from '../common/common.module.js';
import type { Logger } from '../common/logger.js';
import type { ServingState } from '../registry/serving-state.js';
import { versionKey } from './loaded-version.js';
import { ModelRuntime } from './model-runtime.js';
import { resolveRoutingPlan, type RoutingPlan, type RoutingPlanError, versionsToLoad } from './routing/routing-plan.js';
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

/**
 * The in-memory routing table, one entry per model, swapped whole when a
 * newer serving revision arrives. The versions a revision needs are loaded
 * before it is swapped in, so routed traffic never waits for a load; the
 * table survives a database outage because nothing here reads the database
 * per request.
 */
@Injectable()
export class RoutingTable {
  private readonly entries = new Map<string, ModelRouting>();
  /** Per-model chain so revisions of one model apply in order. */
  private readonly chains = new Map<string, Promise<void>>();

  constructor(
    private readonly runtime: ModelRuntime,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  get(model: string): ModelRouting | undefined {
    return this.entries.get(model);
  }

  models(): IterableIterator<ModelRouting> {
    return this.entries.values();
  }

  revisionOf(model: string): number | undefined {
    return this.entries.get(model)?.revision;
  }

  /** Applies a serving revision unless a newer one is already in place; resolves once it serves. */
  apply(model: string, revision: number, state: ServingState): Promise<void> {
    const prev = this.chains.get(model) ?? Promise.resolve();
    const next = prev.then(() => this.doApply(model, revision, state)).catch((err) => {
      this.logger.error({ model, revision, err: (err as Error).message }, 'could not apply serving revision');
    });
    this.chains.set(model, next);
    void next.finally(() => {
      if (this.chains.get(model) === next) this.chains.delete(model);
    });
    return next;
  }

  remove(model: string): Promise<void> {
    const prev = this.chains.get(model) ?? Promise.resolve();
    const next = prev.then(async () => {
      this.entries.delete(model);
      this.updateRouted();
      await this.runtime.unloadModel(model);
    });
    this.chains.set(model, next);
    return next;
  }

  /** Versions that should be loaded but are not (readiness, retries). */
  missing(): { model: string; version: number }[] {
    const out: { model: string; version: number }[] = [];
    for (const e of this.entries.values()) {
      for (const v of e.versions) if (!this.runtime.isLoaded(e.model, v)) out.push({ model: e.model, version: v });
    }
    return out;
  }

  private async doApply(model: string, revision: number, state: ServingState): Promise<void> {
    const current = this.entries.get(model);
    if (current && current.revision >= revision) return;
    const plan = resolveRoutingPlan(state);
    const versions = new Set<number>(Object.values(state.aliases));
    if (plan.ok) for (const v of versionsToLoad(plan)) versions.add(v);
    // Reserved until the entry below marks them routed: a load finishing
    // elsewhere must not evict a version this revision just loaded.
    const release = this.runtime.reserve([...versions].map((v) => versionKey(model, v)));
    try {
      const loads = await Promise.allSettled([...versions].map((v) => this.runtime.load(model, v, 'routed')));
      loads.forEach((r, i) => {
        if (r.status === 'rejected') {
          this.logger.warn({ model, version: [...versions][i], err: (r.reason as Error).message }, 'routed version not loaded; will retry');
        }
      });
      // A newer revision may have been applied while this one was loading.
      const now = this.entries.get(model);
      if (now && now.revision >= revision) return;
      this.setEntry(model, revision, state, plan, versions);
    } finally {
      release();
    }
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
    this.updateRouted();
    this.logger.info({ model, revision, plan: plan.ok ? plan.routes : plan.message }, 'serving revision applied');
  }

  private updateRouted(): void {
    const keys: string[] = [];
    for (const e of this.entries.values()) for (const v of e.versions) keys.push(versionKey(e.model, v));
    this.runtime.setRouted(keys);
  }
}
