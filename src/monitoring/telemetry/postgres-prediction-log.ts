import type { RowBatch } from './encoded-row-queue.js';
import type { Prepared, TelemetrySink } from './telemetry-channel.js';
import { COPY_HEADER, COPY_TRAILER, PREDICTION_COLUMNS } from './telemetry-copy.js';

/** The COPY I/O the sink needs (TelemetryDatabase). */
export interface CopyTarget {
  copy(table: string, columns: string, parts: Buffer[]): Promise<void>;
  copySkippingStored(table: string, columns: string, parts: Buffer[]): Promise<void>;
}

/**
 * The prediction log's sink when it is PostgreSQL (the default): each batch
 * of EncodedRowQueue's rows is one binary COPY into `predictions`. Records
 * were checked when encoded, so a prepared batch rejects none.
 */
export function postgresPredictionSink(db: CopyTarget): TelemetrySink<RowBatch, Prepared & { parts: Buffer[] }> {
  return {
    prepare: (batch) => ({ rows: batch.length, rejected: 0, parts: [COPY_HEADER, batch.bytes(), COPY_TRAILER] }),
    store: ({ parts }, skipStored) =>
      skipStored ? db.copySkippingStored('predictions', PREDICTION_COLUMNS, parts) : db.copy('predictions', PREDICTION_COLUMNS, parts),
  };
}
