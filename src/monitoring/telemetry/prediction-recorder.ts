import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { InjectLogger } from '../../common/common.module.js';
import type { Logger } from '../../common/logger.js';
import { InjectConfig } from '../../config/config.module.js';
import type { AppConfig } from '../../config/config.schema.js';
import type { CounterChild } from '../../metrics/fast-metrics.js';
import { Metrics, type TelemetryKind } from '../../metrics/metrics.js';
import { PredictionBuckets } from '../buckets/prediction-buckets.js';
import { featureSourceCode } from './feature-source.js';
import { InputSampler } from './input-sampler.js';
import { EncodedRowQueue, Pushed } from './encoded-row-queue.js';
import { PredictionScoreStore } from './prediction-scores.js';
import { PredictionStream } from './prediction-stream.js';
import { RingBuffer } from './ring-buffer.js';
import { RecordQueue, streamPredictionSink } from './stream-prediction-log.js';
import { type Batch, type BatchQueue, type ChannelEvents, type Prepared, TelemetryChannel, type TelemetrySink } from './telemetry-channel.js';
import { postgresPredictionSink } from './postgres-prediction-log.js';
import { writePredictionRow } from './telemetry-copy.js';
import { TelemetryDatabase } from './telemetry-database.js';
import type { PredictionRecord, ShadowRecord } from './telemetry-records.js';
import { type Statement, shadowStatement } from './telemetry-sql.js';

/** The prediction queue of either log: encoded COPY rows (PostgreSQL) or records (a stream). */
type PredictionQueue = BatchQueue<Batch> & { push(r: PredictionRecord): Pushed };

/** How long shutdown waits for the last flush; the orchestrator's grace period (30 s by default) must cover it. */
export const SHUTDOWN_FLUSH_MS = 5_000;

/**
 * The prediction path's hand-off to monitoring. `record` encodes the
 * prediction as a binary COPY tuple into a reused buffer (see
 * EncodedRowQueue for why not keep the object); `recordShadow`, rare,
 * costs one array store. No I/O, no await, no throw. A timer writes the
 * queues to Postgres every `telemetry.flushMs`; when the
 * queues are full (the database is slow or away) new records are dropped
 * and counted in `modelgate_telemetry_dropped_total`, never the request.
 * With MODELGATE_PREDICTION_LOG=nats://..., the full predictions go to a
 * JetStream stream instead and PostgreSQL gets their slim rows (see
 * stream-prediction-log.ts); the queue bound, the drop counters and the
 * shutdown flush are the same.
 */
@Injectable()
export class PredictionRecorder implements OnModuleInit, OnApplicationShutdown {
  private readonly logger: Logger;
  private readonly enabled: boolean;
  private readonly predictions: TelemetryChannel<Batch, PredictionQueue>;
  private readonly shadows: TelemetryChannel<ShadowRecord[], RingBuffer<ShadowRecord>>;
  /** Records `record` found unstorable since the last flush; reported (and logged) by the flush, not the request. */
  private rejectedPredictions = 0;
  private readonly droppedPredictions: CounterChild;
  private readonly droppedShadows: CounterChild;
  private readonly sampler: InputSampler;
  private timer?: NodeJS.Timeout;
  private flushing?: Promise<void>;
  private stopped = false;
  private outage = false;
  /** How long shutdown waits for the last flush. */
  shutdownFlushMs = SHUTDOWN_FLUSH_MS;

  constructor(
    @InjectConfig() private readonly config: AppConfig,
    @InjectLogger() logger: Logger,
    private readonly metrics: Metrics,
    db: TelemetryDatabase,
    private readonly stream: PredictionStream,
    scores: PredictionScoreStore,
    private readonly buckets: PredictionBuckets,
  ) {
    this.logger = logger.child({ component: 'telemetry' });
    const { queueSize, batchSize, inputSampleRate } = config.telemetry;
    this.enabled = queueSize > 0;
    this.sampler = new InputSampler(this.enabled ? inputSampleRate : 0);
    this.droppedPredictions = metrics.telemetryDropped.labels('prediction');
    this.droppedShadows = metrics.telemetryDropped.labels('shadow');
    const shadowSink: TelemetrySink<ShadowRecord[], Statement> = {
      prepare: shadowStatement,
      store: (stmt, skipStored) => db.query(skipStored ? stmt.retrySql : stmt.sql, stmt.params),
    };
    const predictionEvents = this.events('prediction');
    if (config.telemetry.log.kind === 'nats') {
      const sink = streamPredictionSink({
        publish: (events) => stream.publish(events),
        get maxPayload() {
          return stream.maxPayload;
        },
        writeScores: (parts, skipStored) => scores.write(parts, skipStored),
      });
      this.predictions = new TelemetryChannel(new RecordQueue(queueSize), batchSize, sink, predictionEvents) as unknown as TelemetryChannel<Batch, PredictionQueue>;
    } else {
      const sink = postgresPredictionSink(db);
      this.predictions = new TelemetryChannel(new EncodedRowQueue(queueSize, batchSize, writePredictionRow), batchSize, sink, predictionEvents) as unknown as TelemetryChannel<Batch, PredictionQueue>;
    }
    this.shadows = new TelemetryChannel(new RingBuffer<ShadowRecord>(queueSize), batchSize, shadowSink, this.events('shadow'));
    metrics.trackQueueDepth('prediction', () => this.predictions.queue.length);
    metrics.trackQueueDepth('shadow', () => this.shadows.queue.length);
  }

  /** Queues one prediction for storage. Never blocks, never throws. */
  record(r: PredictionRecord): void {
    if (!this.enabled) return;
    // Performance counts are kept as the log is written, whether or not the record itself is stored.
    if (r) this.buckets.observeRecord(r.model, r.version, r.variant, r.createdAt, r.score, r.label, featureSourceCode(r.lookedUp));
    const pushed = this.predictions.queue.push(r);
    if (pushed === Pushed.Full) this.droppedPredictions.inc();
    else if (pushed === Pushed.Rejected) {
      this.droppedPredictions.inc();
      this.rejectedPredictions++;
    }
  }

  /** Queues one shadow version's answer. Never blocks, never throws. */
  recordShadow(r: ShadowRecord): void {
    if (!this.enabled) return;
    if (r && r.error === undefined) this.buckets.observeRecord(r.model, r.version, 'shadow', r.createdAt, r.score, r.label, featureSourceCode(r.lookedUp));
    if (!this.shadows.queue.push(r)) this.droppedShadows.inc();
  }

  /** Whether this request's inputs will be stored: ask first, and build `inputs` only when true. */
  shouldSampleInputs(): boolean {
    return this.sampler.shouldSample();
  }

  /** Records waiting to be written, per kind. */
  get queued(): Record<TelemetryKind, number> {
    return { prediction: this.predictions.queue.length, shadow: this.shadows.queue.length };
  }

  onModuleInit(): void {
    if (!this.enabled) return;
    this.timer = setInterval(() => void this.flush(), this.config.telemetry.flushMs);
    // The flush timer alone must not keep a finished process (a CLI, a test) alive.
    this.timer.unref();
  }

  /**
   * Writes what is queued; concurrent callers share one flush. Resolves
   * when it is done, successful or not (failures are retried by the next
   * flush).
   */
  flush(deadline = Infinity): Promise<void> {
    this.flushing ??= this.flushBoth(deadline).finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  /**
   * Runs after the HTTP server has closed (no new predictions) and before
   * the database module closes its pool (global modules shut down last).
   */
  async onApplicationShutdown(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    if (!this.enabled) return;
    const deadline = Date.now() + this.shutdownFlushMs;
    let timeout: NodeJS.Timeout | undefined;
    const expired = new Promise<void>((resolve) => (timeout = setTimeout(resolve, this.shutdownFlushMs)));
    try {
      // A flush already running covers only what was queued when it began.
      await Promise.race([this.flushing, expired]);
      await Promise.race([this.flush(deadline), expired]);
    } finally {
      clearTimeout(timeout);
    }
    await this.stream.close();
    const left = this.queued;
    if (left.prediction + left.shadow > 0) {
      this.logger.warn({ predictions: left.prediction, shadows: left.shadow }, 'telemetry records not written before shutdown');
    }
  }

  private async flushBoth(deadline: number): Promise<void> {
    if (this.rejectedPredictions > 0) {
      this.logger.warn({ kind: 'prediction', count: this.rejectedPredictions }, 'telemetry records could not be stored; dropped');
      this.rejectedPredictions = 0;
    }
    // Sequential: telemetry should hold one pooled connection at most, leaving the rest to requests.
    const ok = (await this.predictions.flush(deadline)) && (await this.shadows.flush(deadline));
    if (ok && this.outage) {
      this.outage = false;
      this.logger.info(this.queued, 'telemetry writes recovered');
    }
  }

  private events(kind: TelemetryKind): ChannelEvents {
    const written = this.metrics.telemetryFlushed.labels(kind);
    const duration = this.metrics.telemetryFlushDuration.labels(kind);
    const failures = this.metrics.telemetryFlushFailures.labels(kind);
    const dropped = kind === 'prediction' ? this.droppedPredictions : this.droppedShadows;
    return {
      written: (rows, seconds) => {
        written.inc(rows);
        duration.observe(seconds);
      },
      rejected: (count, err) => {
        dropped.inc(count);
        this.logger.warn({ kind, count, err: errorText(err) }, 'telemetry records could not be stored; dropped');
      },
      failed: (err, retrying) => {
        failures.inc();
        if (retrying && !this.outage) {
          // Once per outage, not once per tick.
          this.outage = true;
          this.logger.warn({ kind, err: errorText(err), queued: this.queued }, 'telemetry write failed; records stay queued and are retried');
        }
      },
    };
  }
}

/** The message and SQLSTATE only: TypeORM's error carries the statement's parameters, thousands of values. */
function errorText(err: unknown): string | undefined {
  if (err === undefined) return undefined;
  const e = err as { message?: unknown; code?: unknown };
  return e.code ? `${String(e.message)} (${String(e.code)})` : String(e.message ?? err);
}
