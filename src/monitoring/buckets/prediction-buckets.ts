import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectLogger } from '../../common/common.module.js';
import type { Logger } from '../../common/logger.js';
import { InjectConfig } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import type { FeatureSourceCode } from '../telemetry/feature-source.js';
import { BucketStore } from './bucket-store.js';
import { type PredictionCell, type ScoredAnswer, SeriesTally } from './prediction-tally.js';

/**
 * Per series (model, version, variant) and feature source (sent or looked
 * up, see feature-source.ts), minute and hour on this replica:
 * predictions, scores and their sum, and (binary models) the 1,000-bin
 * histogram of every score, updated on the prediction path and flushed
 * every `MODELGATE_MONITOR_FLUSH_MS` as this replica's rows of
 * `prediction_buckets` (rewritten whole, like the window sketches). Counts
 * over any range then read these rows, not the log. `observe` is O(rows)
 * typed-array increments: no I/O, no await.
 */
@Injectable()
export class PredictionBuckets implements OnModuleInit, OnApplicationShutdown {
  readonly replicaId = `${hostname()}-${process.pid}-${randomBytes(4).toString('hex')}`;
  private readonly logger: Logger;
  /** Per feature source code (0 sent, 1 looked up): model, version, variant. */
  private readonly series = [new Map<string, Map<number, Map<string, SeriesTally>>>(), new Map<string, Map<number, Map<string, SeriesTally>>>()];
  private readonly enabled: boolean;
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private failing = false;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectLogger() logger: Logger,
    private readonly store: BucketStore,
  ) {
    this.logger = logger.child({ component: 'prediction-buckets' });
    this.enabled = config.telemetry.queueSize > 0;
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => void this.flush(), this.config.monitoring.flushMs);
    this.timer.unref();
  }

  /** After the HTTP server closed: the last flush, before the database closes. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.flushing;
    await this.flush();
  }

  /**
   * One prediction record as the log gets it: a score with a class label is
   * a binary model's (its score joins the histogram); a score alone is a
   * regressed value; neither, a multiclass or tensor answer (counted only).
   */
  observeRecord(model: string, version: number, variant: string, at: number, score: number | undefined, label: unknown, source: FeatureSourceCode = 0): void {
    // A malformed record must not poison the flush of every good one (the recorder never throws, so neither does this).
    if (!this.enabled || typeof model !== 'string' || !Number.isInteger(version) || typeof variant !== 'string' || !Number.isFinite(at)) return;
    this.one[0].score = score;
    this.tally(model, version, variant, score !== undefined && label !== undefined, source).add(at, 1, this.one);
  }

  /** `n` rows answered by a series at `at` (epoch ms); `answers` carry the scores (none for tensor models). */
  observe(model: string, version: number, variant: string, binary: boolean, n: number, answers?: ArrayLike<ScoredAnswer>, at = Date.now()): void {
    if (!this.enabled || n <= 0) return;
    this.tally(model, version, variant, binary).add(at, n, answers);
  }

  private readonly one: [ScoredAnswer] = [{}];

  private tally(model: string, version: number, variant: string, binary: boolean, source: FeatureSourceCode = 0): SeriesTally {
    const series = this.series[source === 1 ? 1 : 0];
    let byVersion = series.get(model);
    if (byVersion === undefined) series.set(model, (byVersion = new Map()));
    let byVariant = byVersion.get(version);
    if (byVariant === undefined) byVersion.set(version, (byVariant = new Map()));
    let t = byVariant.get(variant);
    if (t === undefined) byVariant.set(variant, (t = new SeriesTally(model, version, variant, binary, source)));
    return t;
  }

  /** Writes every cell changed since the last flush; concurrent callers share one flush. */
  flush(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const now = Date.now();
    const due: { tally: SeriesTally; cells: PredictionCell[] }[] = [];
    for (const byVersion of this.series.flatMap((s) => [...s.values()])) {
      for (const byVariant of byVersion.values()) {
        for (const [variant, tally] of byVariant) {
          const cells = tally.due(now);
          if (cells.length) due.push({ tally, cells });
          else if (tally.idle) byVariant.delete(variant);
        }
      }
    }
    if (due.length === 0) return;
    try {
      await this.store.upsertPredictionCells(
        this.replicaId,
        due.flatMap(({ tally, cells }) => cells.map((cell) => ({ model: tally.model, version: tally.version, variant: tally.variant, source: tally.source, cell }))),
      );
      for (const { tally, cells } of due) tally.written(cells);
      if (this.failing) this.logger.info('prediction bucket writes recovered');
      this.failing = false;
    } catch (err) {
      // Cells stay in memory (dirty) and are written by the next flush.
      if (!this.failing) this.logger.warn({ err: (err as Error).message }, 'prediction bucket flush failed; retrying');
      this.failing = true;
    }
  }
}
