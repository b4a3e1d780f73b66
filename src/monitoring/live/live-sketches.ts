import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectLogger } from '../../common/common.module.js';
import type { Logger } from '../../common/logger.js';
import { InjectConfig } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import { resolvePolicy } from '../drift/monitoring-policy.js';
import { hashString } from '../sketch/reservoir.js';
import { buildLayout, type SeriesLayout } from './series-layout.js';
import { VersionBaselines } from './version-baselines.js';
import { type ScoredRow, WindowSketch, windowStartOf } from './window-sketch.js';
import { type PartialRow, WindowSketchStore } from './window-sketch.store.js';

/** Rows kept while a version's baseline is being read on its first request; past this they go unsketched. */
export const PENDING_ROWS_MAX = 20_000;
const RETRY_LOAD_MS = 5_000;

interface VersionInfo {
  layout: SeriesLayout;
  windowMs: number;
}

interface Pending {
  variant: string;
  data: Float64Array;
  width: number;
  n: number;
  answers: ScoredRow[];
  latencyMs: number;
  at: number;
  error: boolean;
}

interface SeriesState {
  model: string;
  version: number;
  variant: string;
  current?: WindowSketch;
  /** Windows that ended and still wait for their last flush. */
  closed: WindowSketch[];
}

interface VersionState {
  info?: VersionInfo;
  loading?: Promise<void>;
  failedAt?: number;
  pending: Pending[];
  pendingRows: number;
  variants: Map<string, SeriesState>;
}

/**
 * The live half of drift monitoring on this replica: per series (model,
 * version, variant) and window, a sketch of every feature and of the score,
 * updated on the prediction path, flushed to `window_sketches` every
 * `MODELGATE_MONITOR_FLUSH_MS`. `observe` costs nested map lookups and
 * O(features) typed-array updates per row: no I/O, no await, no allocation
 * (beyond a new window's arrays, once per window).
 */
@Injectable()
export class LiveSketches implements OnModuleInit, OnModuleDestroy {
  readonly replicaId = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly logger: Logger;
  private readonly versions = new Map<string, Map<number, VersionState>>();
  private readonly seed: number;
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private flushes = 0;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectLogger() logger: Logger,
    private readonly store: WindowSketchStore,
    private readonly baselines: VersionBaselines,
  ) {
    this.logger = logger.child({ component: 'live-sketches' });
    this.seed = hashString(this.replicaId);
  }

  onModuleInit(): void {
    this.timer = setInterval(() => void this.flush(), this.config.monitoring.flushMs);
    this.timer.unref();
  }

  /** The last flush writes what every window holds, before the database closes. */
  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }

  /** A request answered by (model, version, variant) with `n` rows of `data` (row-major, `width` features). */
  observe(model: string, version: number, variant: string, data: ArrayLike<number>, width: number, n: number, answers: ArrayLike<ScoredRow>, latencyMs: number): void {
    const v = this.version(model, version);
    const info = v.info;
    if (info === undefined) return this.hold(v, model, version, variant, data, width, n, answers, latencyMs, false);
    this.window(v, info, model, version, variant, Date.now()).observe(data, width, n, answers, latencyMs);
  }

  /** A request the series could not answer (counted in the window's error rate). */
  observeError(model: string, version: number, variant: string, latencyMs: number): void {
    const v = this.version(model, version);
    const info = v.info;
    if (info === undefined) return this.hold(v, model, version, variant, EMPTY, 0, 0, [], latencyMs, true);
    this.window(v, info, model, version, variant, Date.now()).observeError(latencyMs);
  }

  /** Writes every window changed since the last flush; concurrent callers share one flush. */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private version(model: string, version: number): VersionState {
    let byVersion = this.versions.get(model);
    if (byVersion === undefined) this.versions.set(model, (byVersion = new Map()));
    let v = byVersion.get(version);
    if (v === undefined) byVersion.set(version, (v = { pending: [], pendingRows: 0, variants: new Map() }));
    return v;
  }

  private window(v: VersionState, info: VersionInfo, model: string, version: number, variant: string, now: number): WindowSketch {
    let s = v.variants.get(variant);
    if (s === undefined) v.variants.set(variant, (s = { model, version, variant, closed: [] }));
    const w = s.current;
    if (w !== undefined && now >= w.windowStart && now < w.windowEnd) return w;
    if (w !== undefined) s.closed.push(w);
    const start = windowStartOf(now, info.windowMs);
    return (s.current = new WindowSketch(info.layout, start, start + info.windowMs, (this.seed ^ start) >>> 0));
  }

  /** Keeps a request (copied) until the version's baseline is read, and starts reading it. */
  private hold(v: VersionState, model: string, version: number, variant: string, data: ArrayLike<number>, width: number, n: number, answers: ArrayLike<ScoredRow>, latencyMs: number, error: boolean): void {
    if (v.pendingRows + n <= PENDING_ROWS_MAX) {
      const copy: ScoredRow[] = [];
      for (let i = 0; i < n; i++) copy.push({ score: answers[i]?.score, value: answers[i]?.value, label: answers[i]?.label });
      v.pending.push({ variant, data: Float64Array.from({ length: n * width }, (_, i) => data[i]), width, n, answers: copy, latencyMs, at: Date.now(), error });
      v.pendingRows += n;
    }
    if (v.loading || (v.failedAt !== undefined && Date.now() - v.failedAt < RETRY_LOAD_MS)) return;
    v.loading = this.load(v, model, version).finally(() => (v.loading = undefined));
  }

  private async load(v: VersionState, model: string, version: number): Promise<void> {
    try {
      const got = await this.baselines.get(model, version);
      const info: VersionInfo = {
        layout: buildLayout(got?.featureNames ?? [], got?.baseline ?? null),
        windowMs: resolvePolicy(got?.policy).windowSeconds * 1000,
      };
      v.info = info;
      for (const p of v.pending) {
        const w = this.window(v, info, model, version, p.variant, p.at);
        if (p.error) w.observeError(p.latencyMs);
        else w.observe(p.data, p.width, p.n, p.answers, p.latencyMs);
      }
      v.pending = [];
      v.pendingRows = 0;
    } catch (err) {
      v.failedAt = Date.now();
      this.logger.warn({ model, version, err: (err as Error).message }, 'could not read the baseline for live sketches; retrying');
    }
  }

  private async flushOnce(): Promise<void> {
    const now = Date.now();
    const rows: PartialRow[] = [];
    const written: WindowSketch[] = [];
    for (const byVersion of this.versions.values()) {
      for (const v of byVersion.values()) {
        for (const s of v.variants.values()) {
          // A window that ended with no new row since is closed here, so its last flush happens.
          if (s.current && now >= s.current.windowEnd) {
            s.closed.push(s.current);
            s.current = undefined;
          }
          for (const w of s.current ? [...s.closed, s.current] : s.closed) {
            if (!w.dirty) continue;
            w.dirty = false;
            written.push(w);
            rows.push({ model: s.model, version: s.version, variant: s.variant, windowStart: w.windowStart, windowEnd: w.windowEnd, partial: w.toPartial() });
          }
        }
      }
    }
    try {
      await this.store.upsert(this.replicaId, rows);
      for (const byVersion of this.versions.values()) {
        for (const v of byVersion.values()) for (const s of v.variants.values()) s.closed = s.closed.filter((w) => w.dirty);
      }
    } catch (err) {
      for (const w of written) w.dirty = true;
      this.logger.warn({ err: (err as Error).message, windows: rows.length }, 'live sketch flush failed; retrying on the next one');
    }
    if (++this.flushes % 6 === 0) await this.refreshPolicies();
  }

  /** A changed `window_seconds` applies from the next window on. */
  private async refreshPolicies(): Promise<void> {
    try {
      const policies = await this.baselines.policies([...this.versions.keys()]);
      for (const [model, byVersion] of this.versions) {
        const policy = policies.get(model);
        if (!policy) continue;
        const windowMs = resolvePolicy(policy).windowSeconds * 1000;
        for (const v of byVersion.values()) if (v.info) v.info = { ...v.info, windowMs };
      }
    } catch (err) {
      this.logger.debug({ err: (err as Error).message }, 'policy refresh failed');
    }
  }
}

const EMPTY = new Float64Array(0);
