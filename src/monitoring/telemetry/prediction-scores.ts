import { Injectable } from '@nestjs/common';
import { COPY_HEADER, COPY_TRAILER, type CopyWriter } from './telemetry-copy.js';
import { TelemetryDatabase } from './telemetry-database.js';
import type { PredictionRecord } from './telemetry-records.js';

/**
 * The slim table PostgreSQL keeps of every prediction when the full
 * payloads go to a stream (MODELGATE_PREDICTION_LOG=nats://...): enough for
 * a label to find its prediction's series and score, nothing more.
 *
 *   prediction_scores (prediction_id uuid PK, model, version, variant,
 *                      score float8, label text, created_at timestamptz,
 *                      feature_source smallint)
 *
 * `label` is the predicted label (multiclass accuracy needs it); `score` the
 * binary positive-class score or the regression value, as in `predictions`.
 * Range-partitioned by day on `prediction_id` like the log and the labels.
 */
export const SCORE_TABLE = 'prediction_scores';
export const SCORE_COLUMNS = 'prediction_id, model, version, variant, score, label, created_at, feature_source';
const FIELDS = 8;
/** Fixed bytes of a tuple: count, 8 lengths, uuid, int4, float8, timestamptz, int2. */
const FIXED_ROW = 2 + FIELDS * 4 + 16 + 4 + 8 + 8 + 2;

/** Appends one tuple; false (the caller rewinds `w.at`) for a record that cannot be a row. */
export function writeScoreRow(w: CopyWriter, r: PredictionRecord): boolean {
  w.reserve(FIXED_ROW);
  w.int16(FIELDS);
  if (!w.uuid(r.id)) return false;
  w.text(r.model);
  w.reserve(FIXED_ROW);
  w.int32(4);
  w.int32(r.version);
  w.text(r.variant);
  w.reserve(FIXED_ROW);
  if (typeof r.score === 'number' && Number.isFinite(r.score)) w.float64(r.score);
  else w.int32(-1);
  if (r.label === undefined || r.label === null) w.int32(-1);
  else w.text(r.label);
  w.reserve(18);
  w.timestamptz(r.createdAt);
  w.smallint(r.lookedUp === true ? 1 : 0);
  return true;
}

/** The slim rows of a batch, as the parts of one binary COPY. */
export function scoreCopyParts(w: CopyWriter): Buffer[] {
  return [COPY_HEADER, w.buf.subarray(0, w.at), COPY_TRAILER];
}

/** Writes slim rows (see SCORE_TABLE); the only writer of that table. */
@Injectable()
export class PredictionScoreStore {
  constructor(private readonly db: TelemetryDatabase) {}

  /** One COPY; with `skipStored`, rows already stored are skipped (the retry after a lost commit answer). */
  async write(parts: Buffer[], skipStored: boolean): Promise<void> {
    if (skipStored) await this.db.copySkippingStored(SCORE_TABLE, SCORE_COLUMNS, parts);
    else await this.db.copy(SCORE_TABLE, SCORE_COLUMNS, parts);
  }
}
