import { Inject, Injectable, Optional } from '@nestjs/common';
import { FeatureMetrics } from '../metrics/feature-metrics.js';
import { FeatureViewCatalog } from './feature-view.catalog.js';
import { fillRows, type FilledRow, LOOKUP_OUTCOMES, planLookups, type RequestRow, type ViewAnswer, type ViewDefinition } from './online-feature-fill.js';
import { type LookedUpFeature, lookedUpFeatures, type OnlineFeaturesBlock, viewsOf } from './online-features.js';
import { type BreakerOptions, DEFAULT_BREAKER, StoreBreaker } from './store-breaker.js';
import type { StoredFeatureRow } from './feature-view.js';
import { FeatureStore, type ViewLookup } from './stores/feature-store.js';

/** Breaker settings for tests; the service runs with DEFAULT_BREAKER. */
export const FEATURE_BREAKER_OPTIONS = Symbol('FEATURE_BREAKER_OPTIONS');

/** How often a known view's definition is read again (in the background). */
const VIEW_REFRESH_MS = 5_000;

export interface FilledBatch {
  /** One per request row, in order: the row with its looked-up features filled, and per feature its value, source and age. */
  rows: FilledRow[];
  /** Store round trips made: 1, or 0 when every row sent every looked-up feature or the breaker was open. */
  reads: number;
  /** Milliseconds spent waiting for the store (0 without a read). */
  lookup_ms: number;
}

/**
 * Fills a micro-batch's looked-up features from the deployment's online
 * store: the seam the serving core calls once per batch, before inference.
 *
 *   const batch = await resolver.fill(model, version, spec.onlineFeatures, rows);
 *   batch.rows[i].values    // row i as sent + every looked-up feature (null: NaN to the model)
 *   batch.rows[i].features  // { income: { value, source: 'sent'|'store'|'default'|'missing', age_ms } }
 *
 * `rows` are the named instances as sent (entity ids and sent features by
 * name); a sent value (`null` included) wins over the store. Every view and
 * entity of the batch is read in ONE store round trip under the block's
 * `timeout_ms` (shared with concurrent batches of the same event-loop turn); a store that errs or is late counts against a breaker that,
 * once open, refuses reads at once for a cool-down, so a dead store costs a
 * batch nothing but its policy. Throws (nothing is returned for a partial
 * batch: one failing row fails the request): 400 VALIDATION_FAILED for a
 * missing entity id, 422 FEATURE_MISSING for a `fail` feature without a
 * fresh value, 503 FEATURE_STORE_UNAVAILABLE for a `fail` feature when the
 * store could not answer.
 */
@Injectable()
export class OnlineFeatureResolver {
  private readonly breaker: StoreBreaker;
  private gathering: SharedRead | undefined;
  private readonly views = new Map<string, { view: ViewDefinition | undefined; at: number; refreshing: boolean }>();
  /** The parsed features of a block, kept per block object (the serving core holds one per loaded version). */
  private readonly parsed = new WeakMap<OnlineFeaturesBlock, { features: LookedUpFeature[]; views: string[] }>();

  constructor(
    private readonly catalog: FeatureViewCatalog,
    @Inject(FeatureStore) private readonly store: FeatureStore,
    private readonly metrics: FeatureMetrics,
    @Optional() @Inject(FEATURE_BREAKER_OPTIONS) breaker?: BreakerOptions,
  ) {
    this.breaker = new StoreBreaker(breaker ?? DEFAULT_BREAKER);
  }

  get breakerState() {
    return this.breaker.state;
  }

  async fill(model: string, version: number, block: OnlineFeaturesBlock, rows: readonly RequestRow[]): Promise<FilledBatch> {
    let p = this.parsed.get(block);
    if (!p) this.parsed.set(block, (p = { features: lookedUpFeatures(block), views: viewsOf(block) }));
    const views = new Map<string, ViewDefinition | undefined>();
    // A view deleted since the upload reads as holding nothing: its features' policies decide.
    for (const name of p.views) {
      // Known views answer synchronously: no promise hop per request.
      const v = this.view(name);
      views.set(name, v instanceof Promise ? await v : v);
    }
    const plan = planLookups(p.features, views, rows);
    const { answers, reads, ms } = await this.read(plan.requests, block.timeout_ms);
    const outcome = fillRows(p.features, views, rows, plan, answers, this.store.kind, Date.now());
    for (const [view, counts] of outcome.counts) for (const o of LOOKUP_OUTCOMES) this.metrics.count(view, o, counts[o]);
    if (outcome.failure) {
      Object.assign(outcome.failure.details, { model, version });
      throw outcome.failure;
    }
    return { rows: outcome.rows, reads, lookup_ms: ms };
  }

  /**
   * A view's definition. Once known it is answered from memory and refreshed
   * in the background every few seconds, so a batch never waits on the
   * database for a definition it has seen (a deleted view disappears at the
   * next refresh).
   */
  private view(name: string): ViewDefinition | undefined | Promise<ViewDefinition | undefined> {
    const hit = this.views.get(name);
    if (!hit) {
      return this.catalog.find(name).then((view) => {
        this.views.set(name, { view, at: Date.now(), refreshing: false });
        return view;
      });
    }
    if (!hit.refreshing && Date.now() - hit.at > VIEW_REFRESH_MS) {
      hit.refreshing = true;
      this.catalog.find(name).then(
        (view) => this.views.set(name, { view, at: Date.now(), refreshing: false }),
        () => (hit.refreshing = false),
      );
    }
    return hit.view;
  }

  private async read(requests: ViewLookup[], timeoutMs: number): Promise<{ answers: Map<string, ViewAnswer>; reads: number; ms: number }> {
    const answers = new Map<string, ViewAnswer>();
    if (requests.length === 0) return { answers, reads: 0, ms: 0 };
    const unavailable = (why: 'timeout' | 'error' | 'circuit_open') => {
      for (const r of requests) answers.set(r.view, { unavailable: why });
    };
    if (!this.breaker.tryAcquire()) {
      unavailable('circuit_open');
      return { answers, reads: 0, ms: 0 };
    }
    const started = performance.now();
    const { read, offset } = this.join(requests);
    try {
      const got = await this.within(read, timeoutMs);
      if (got === 'late') {
        // The read may still settle; this batch does not wait for it. A late read counts against the breaker once, whoever shares it.
        if (!read.late) {
          read.late = true;
          this.breaker.failure();
          this.metrics.observeRead(this.store.kind, 'timeout', (performance.now() - read.started) / 1000);
          this.metrics.setCircuitOpen(this.store.kind, this.breaker.state !== 'closed');
        }
        unavailable('timeout');
      } else {
        for (let i = 0; i < requests.length; i++) answers.set(requests[i].view, { rows: got[offset + i] });
      }
    } catch {
      unavailable('error');
    }
    return { answers, reads: 1, ms: performance.now() - started };
  }

  /**
   * The shared read raced against a time budget: one timer and one race per
   * budget and shared read (the batches of one event-loop turn), not one per
   * request. The budget counts from the first batch of the turn that joined
   * with it, a fraction of a turn before the others.
   */
  private within(read: SharedRead, timeoutMs: number): Promise<StoredRows | 'late'> {
    let raced = read.raced.get(timeoutMs);
    if (!raced) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(resolve, timeoutMs, 'late')));
      raced = Promise.race([read.rows, late]);
      const stop = () => clearTimeout(timer);
      raced.then(stop, stop);
      read.raced.set(timeoutMs, raced);
    }
    return raced;
  }

  /**
   * Joins the store read being gathered in this turn of the event loop, or
   * starts one: batches of concurrent requests (parsed in the same I/O
   * phase) share one round trip, sent once that phase is over.
   */
  private join(requests: ViewLookup[]): { read: SharedRead; offset: number } {
    let read = this.gathering;
    if (!read) {
      let settle!: (rows: Promise<StoredRows>) => void;
      const gathered: SharedRead = { requests: [], rows: new Promise((resolve) => (settle = resolve)), started: performance.now(), late: false, raced: new Map() };
      gathered.rows.catch(() => undefined);
      this.gathering = read = gathered;
      setImmediate(() => {
        this.gathering = undefined;
        gathered.started = performance.now();
        const lookup = this.store.lookupMany(gathered.requests);
        settle(lookup);
        lookup.then(
          () => {
            // A read that came back after its batches gave up on it does not prove the store healthy.
            if (!gathered.late) this.breaker.success();
            this.metrics.observeRead(this.store.kind, 'ok', (performance.now() - gathered.started) / 1000);
          },
          () => {
            if (!gathered.late) this.breaker.failure();
            this.metrics.observeRead(this.store.kind, 'error', (performance.now() - gathered.started) / 1000);
          },
        ).finally(() => this.metrics.setCircuitOpen(this.store.kind, this.breaker.state !== 'closed'));
      });
    }
    const offset = read.requests.length;
    for (const r of requests) read.requests.push(r);
    return { read, offset };
  }
}

type StoredRows = (StoredFeatureRow | undefined)[][];

interface SharedRead {
  requests: ViewLookup[];
  rows: Promise<StoredRows>;
  started: number;
  /** Set once a batch stopped waiting for it. */
  late: boolean;
  /** Per time budget, the read raced against it (see `within`). */
  raced: Map<number, Promise<StoredRows | 'late'>>;
}
