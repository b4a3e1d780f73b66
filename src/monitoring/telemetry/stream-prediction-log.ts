import { Pushed } from './encoded-row-queue.js';
import { type PredictionEvent, predictionEvent } from './prediction-event.js';
import { scoreCopyParts, writeScoreRow } from './prediction-scores.js';
import { RingBuffer } from './ring-buffer.js';
import { type BatchQueue, type Prepared, type TelemetrySink } from './telemetry-channel.js';
import { CopyWriter } from './telemetry-copy.js';
import type { PredictionRecord } from './telemetry-records.js';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** What the record must hold to be an event and a slim row; anything else is rejected at `push`, as the PostgreSQL log does. */
export function streamable(r: PredictionRecord): boolean {
  return (
    !!r && typeof r.id === 'string' && r.id.length === 36 && typeof r.model === 'string' && typeof r.variant === 'string' &&
    Number.isInteger(r.version) && r.version >= INT32_MIN && r.version <= INT32_MAX && finite(r.createdAt) && finite(r.latencyMs)
  );
}

/**
 * The prediction queue when the log is a stream: the records themselves,
 * bounded like EncodedRowQueue (`capacity` records; `push` refuses when
 * full, and the recorder counts the drop) and read the same two-phase way.
 * Records are kept as objects here because a batch becomes two encodings
 * (the events and the slim COPY rows), both made at flush, off the request.
 */
export class RecordQueue implements BatchQueue<PredictionRecord[]> {
  private readonly ring: RingBuffer<PredictionRecord>;

  constructor(capacity: number) {
    this.ring = new RingBuffer(capacity);
  }

  get length(): number {
    return this.ring.length;
  }

  push(r: PredictionRecord): Pushed {
    if (!streamable(r)) return Pushed.Rejected;
    return this.ring.push(r) ? Pushed.Queued : Pushed.Full;
  }

  peek(n: number): PredictionRecord[] {
    return this.ring.peek(n);
  }

  discard(n: number): number {
    return this.ring.discard(n);
  }
}

export interface StreamBatch extends Prepared {
  events: PredictionEvent[];
  /** The slim rows as one binary COPY. */
  scores: Buffer[];
}

/** The I/O the sink needs: PredictionStream and PredictionScoreStore. */
export interface StreamLogWriters {
  publish(events: readonly PredictionEvent[]): Promise<void>;
  maxPayload: number;
  writeScores(parts: Buffer[], skipStored: boolean): Promise<void>;
}

/**
 * The prediction log's sink when it is a stream: each batch is published
 * to JetStream (every event acknowledged) and then its slim rows are
 * copied to PostgreSQL, so a prediction's label can join its score. Either
 * failing leaves the batch queued and the next flush sends it again; the
 * stream drops the re-sent events by `Nats-Msg-Id` and the COPY retry skips
 * stored rows, so every prediction is stored at least once and read once.
 * Events that can never be stored (no JSON form, larger than the server
 * takes) are rejected and counted.
 */
export function streamPredictionSink(w: StreamLogWriters): TelemetrySink<PredictionRecord[], StreamBatch> {
  const writer = new CopyWriter(64 * 1024);
  return {
    prepare(batch) {
      const events: PredictionEvent[] = [];
      writer.at = 0;
      const maxPayload = w.maxPayload;
      for (const r of batch) {
        const e = predictionEvent(r);
        // Headers are a few hundred bytes; leave them room.
        if (e === undefined || e.data.length + 1024 > maxPayload) continue;
        const start = writer.at;
        if (!writeScoreRow(writer, r)) {
          writer.at = start;
          continue;
        }
        events.push(e);
      }
      // A copy: the writer's buffer is reused by the next batch while this one may be retried.
      const scores = scoreCopyParts(writer).map((b) => Buffer.from(b));
      return { rows: events.length, rejected: batch.length - events.length, events, scores };
    },
    async store(b, skipStored) {
      await w.publish(b.events);
      await w.writeScores(b.scores, skipStored);
    },
  };
}
