import { Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { InjectLogger } from '../common/common.module.js';
import type { Logger } from '../common/logger.js';
import { PgListener } from '../database/pg-listener.js';
import { SERVING_CHANNEL, type ServingStateChanged, ServingStateEvents } from '../registry/serving-state.events.js';
import { ServingStateService } from '../registry/serving-state.service.js';
import { ModelRuntime } from './model-runtime.js';
import { RoutingTable } from './routing-table.js';

/**
 * Keeps this replica's routing table on the registry's latest revisions:
 * in-process events for changes made here (awaited, so the change serves
 * before its request answers), Postgres NOTIFY for other replicas' changes,
 * and a periodic reconcile for anything missed while disconnected.
 */
@Injectable()
export class ServingSync implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private unsubscribe?: () => void;
  private initial?: Promise<void>;
  private synced = false;
  private stopped = false;
  private reconciling?: Promise<void>;

  constructor(
    private readonly table: RoutingTable,
    private readonly runtime: ModelRuntime,
    private readonly registry: ServingStateService,
    private readonly events: ServingStateEvents,
    private readonly listener: PgListener,
    @InjectConfig() private readonly config: AppConfig,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  /** True once the routing table was built from the database at least once. */
  get initialSyncDone(): boolean {
    return this.synced;
  }

  onApplicationBootstrap(): void {
    this.unsubscribe = this.events.subscribe((e) => this.onChange(e));
    this.listener.onReconnect(() => void this.reconcile());
    this.listener.on(SERVING_CHANNEL, (payload) => {
      try {
        void this.onChange(JSON.parse(payload) as ServingStateChanged);
      } catch {
        this.logger.warn({ payload }, 'unreadable serving notification');
      }
    });
    // Start-up sync runs in the background: /health/ready stays 503 until
    // it finished and every routed version is loaded.
    this.initial = this.reconcile();
    this.timer = setInterval(() => void this.reconcile(), this.config.serving.reconcileMs);
    this.timer.unref();
  }

  /** First shutdown phase: no reconcile may start once the database begins to close. */
  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.unsubscribe?.();
    await this.initial?.catch(() => {});
  }

  /**
   * Fetches every model's state and applies what changed; retries versions
   * of applied revisions that failed to load. A pending revision retries on
   * its own schedule (RoutingTable), so it is not fetched again here.
   */
  reconcile(): Promise<void> {
    this.reconciling ??= this.doReconcile().finally(() => (this.reconciling = undefined));
    return this.reconciling;
  }

  private async doReconcile(): Promise<void> {
    if (this.stopped) return;
    try {
      const states = await this.registry.allStates();
      const seen = new Set<string>();
      await Promise.all(
        states.map(async (s) => {
          seen.add(s.model);
          if ((this.table.knownRevisionOf(s.model) ?? -1) < s.revision) await this.table.apply(s.model, s.revision, s.state);
        }),
      );
      for (const e of [...this.table.models()]) if (!seen.has(e.model)) await this.table.remove(e.model);
      this.synced = true;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'serving reconcile failed; keeping the current routing table');
    }
    await Promise.allSettled(this.table.missing().map((m) => this.runtime.load(m.model, m.version, 'routed')));
  }

  private async onChange(e: ServingStateChanged): Promise<void> {
    if (e.deleted) {
      await this.table.remove(e.model);
      return;
    }
    if (e.revision !== undefined && (this.table.knownRevisionOf(e.model) ?? -1) >= e.revision) return;
    // A new version (no revision in the event) changes nothing for a model
    // the table knows: pinned calls find it in the registry. A model the
    // table has not seen yet gets its entry now, not at the next reconcile.
    if (e.revision === undefined && this.table.get(e.model)) return;
    try {
      const s = await this.registry.stateOf(e.model);
      await this.table.apply(e.model, s.revision, s.state);
    } catch (err) {
      this.logger.warn({ model: e.model, err: (err as Error).message }, 'could not fetch the changed serving state; reconcile will retry');
    }
  }
}
