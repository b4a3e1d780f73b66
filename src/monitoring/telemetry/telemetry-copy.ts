import { lastUuidv7Bytes } from '../../common/ids.js';
import { toJson } from './telemetry-sql.js';
import type { PredictionRecord } from './telemetry-records.js';

/**
 * The prediction batch as one `COPY ... FROM STDIN (FORMAT binary)` stream.
 *
 * Why binary: at 20,000 predictions a second the INSERT's array literals
 * cost the serving event loop about 5 us a row, most of it turning doubles
 * (time, latency, score) into decimal text and back in PostgreSQL. Here
 * a number is 4 or 8 bytes copied into a buffer, a uuid 16 bytes decoded
 * from its hex, and a repeated string (model, variant, label) is encoded
 * to UTF-8 once per batch. COPY has no ON CONFLICT: a retry after a unique
 * violation goes through a staging table (see TelemetryDatabase).
 *
 * Format (PostgreSQL docs, "COPY", binary format): an 11-byte signature,
 * int32 flags, int32 header-extension length; per tuple an int16 field
 * count and per field an int32 length (-1 for NULL) and its bytes in the
 * type's binary send form; an int16 -1 trailer.
 */
export const PREDICTION_COLUMNS = 'id, model, version, variant, protocol, fallback, created_at, latency_ms, score, label, outputs, inputs, feature_source';
export const PREDICTIONS_COPY_SQL = `COPY predictions (${PREDICTION_COLUMNS}) FROM STDIN (FORMAT binary)`;

export interface CopyBatch {
  data: Buffer;
  rows: number;
  rejected: number;
}

/** The stream's header: signature, flags 0, no header extension. */
export const COPY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
/** The stream's trailer: a field count of -1. */
export const COPY_TRAILER = Buffer.from([0xff, 0xff]);
const FIELDS = 13;
/** timestamptz is microseconds since 2000-01-01 UTC. */
const PG_EPOCH_MS = Date.UTC(2000, 0, 1);
const TWO_32 = 2 ** 32;
const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
/** Fixed bytes of a tuple: count, 13 lengths, uuid, int4, bool, timestamptz, float4, float8, int2. */
const FIXED_ROW = 2 + FIELDS * 4 + 16 + 4 + 1 + 8 + 4 + 8 + 2;
const NUL = '\u0000';

/** Hex digit value per char code, -1 for anything else. */
const HEX = new Int8Array(128).fill(-1);
for (let i = 0; i < 10; i++) HEX[48 + i] = i;
for (let i = 0; i < 6; i++) HEX[65 + i] = HEX[97 + i] = 10 + i;
const DASH = 45;
const UUID_DIGITS = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** Tuples appended to one growing buffer. */
export class CopyWriter {
  buf: Buffer;
  at = 0;
  // A DataView's setters compile to plain stores; Buffer's writeInt32BE and kin check their arguments on every call.
  private view: DataView;
  /** UTF-8 of strings seen before: a stream repeats a handful of model, variant and label values. */
  private readonly texts = new Map<string, Uint8Array>();

  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  reserve(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.byteLength);
  }

  int16(v: number): void {
    this.view.setInt16(this.at, v);
    this.at += 2;
  }

  /** A field of a 2-byte integer (smallint). */
  smallint(v: number): void {
    this.view.setInt32(this.at, 2);
    this.view.setInt16(this.at + 4, v);
    this.at += 6;
  }

  int32(v: number): void {
    this.view.setInt32(this.at, v);
    this.at += 4;
  }

  /** A field of a 4-byte float (real). */
  float32(v: number): void {
    this.view.setInt32(this.at, 4);
    this.view.setFloat32(this.at + 4, v);
    this.at += 8;
  }

  /** A field of an 8-byte float (double precision). */
  float64(v: number): void {
    this.view.setInt32(this.at, 8);
    this.view.setFloat64(this.at + 4, v);
    this.at += 12;
  }

  /** A text field, NUL replaced (PostgreSQL text cannot hold it). */
  text(v: unknown): void {
    const s = typeof v === 'string' ? v : String(v);
    let bytes = this.texts.get(s);
    if (bytes === undefined) {
      bytes = Buffer.from(s.includes(NUL) ? s.replaceAll(NUL, '\uFFFD') : s, 'utf8');
      // Bounded: a stream of distinct labels must not keep a map of all of them.
      if (this.texts.size < 256) this.texts.set(s, bytes);
    }
    const n = bytes.length;
    this.reserve(4 + n);
    this.int32(n);
    const buf = this.buf;
    let at = this.at;
    // A short value is quicker copied here than through a native call.
    if (n <= 32) for (let i = 0; i < n; i++) buf[at++] = bytes[i];
    else {
      buf.set(bytes, at);
      at += n;
    }
    this.at = at;
  }

  /** jsonb's binary form: a version byte (1), then the JSON text. */
  json(json: string): void {
    const n = Buffer.byteLength(json, 'utf8');
    this.reserve(5 + n);
    this.int32(n + 1);
    this.buf[this.at++] = 1;
    this.at += this.buf.write(json, this.at, 'utf8');
  }

  /** The 16 bytes of a canonical uuid string; false (nothing written) when it is not one. */
  uuid(id: string): boolean {
    // A prediction's record is written as soon as its id is made: its bytes are at hand.
    if (lastUuidv7Bytes(id, this.buf, this.at + 4)) {
      this.int32(16);
      this.at += 16;
      return true;
    }
    if (id.length !== 36 || id.charCodeAt(8) !== DASH || id.charCodeAt(13) !== DASH || id.charCodeAt(18) !== DASH || id.charCodeAt(23) !== DASH) return false;
    const buf = this.buf;
    const at = this.at + 4;
    for (let i = 0; i < 16; i++) {
      const p = UUID_DIGITS[i];
      const a = id.charCodeAt(p);
      const b = id.charCodeAt(p + 1);
      const hi = a < 128 ? HEX[a] : -1;
      const lo = b < 128 ? HEX[b] : -1;
      if (hi < 0 || lo < 0) return false;
      buf[at + i] = (hi << 4) | lo;
    }
    this.int32(16);
    this.at += 16;
    return true;
  }

  timestamptz(ms: number): void {
    const us = Math.round((ms - PG_EPOCH_MS) * 1000);
    const hi = Math.floor(us / TWO_32);
    this.view.setInt32(this.at, 8);
    this.view.setInt32(this.at + 4, hi);
    this.view.setUint32(this.at + 8, us - hi * TWO_32);
    this.at += 12;
  }
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Whether a record can be a row at all; anything else is counted as rejected. */
function storable(r: PredictionRecord): boolean {
  return (
    !!r && typeof r.id === 'string' && Number.isInteger(r.version) && r.version >= INT32_MIN && r.version <= INT32_MAX &&
    finite(r.createdAt) && finite(r.latencyMs)
  );
}

/** Appends one tuple; false for a record that cannot be stored, and the caller rewinds `w.at`. */
export function writePredictionRow(w: CopyWriter, r: PredictionRecord): boolean {
  try {
    if (!storable(r)) return false;
    // JSON first: a value with no JSON form (a BigInt, a cycle) throws before anything is written.
    const out = r.outputs === undefined ? null : toJson(r.outputs);
    const inp = r.inputs === undefined ? null : toJson(r.inputs);
    w.reserve(FIXED_ROW);
    w.int16(FIELDS);
    if (!w.uuid(r.id)) return false;
    w.text(r.model);
    w.reserve(FIXED_ROW);
    w.int32(4);
    w.int32(r.version);
    w.text(r.variant);
    w.text(r.protocol);
    w.reserve(FIXED_ROW);
    w.int32(1);
    w.buf[w.at++] = r.fallback === true ? 1 : 0;
    w.timestamptz(r.createdAt);
    w.float32(r.latencyMs);
    if (finite(r.score)) w.float64(r.score);
    else w.int32(-1);
    if (r.label === undefined || r.label === null) w.int32(-1);
    else w.text(r.label);
    w.reserve(8);
    if (out === null) w.int32(-1);
    else w.json(out);
    w.reserve(4);
    if (inp === null) w.int32(-1);
    else w.json(inp);
    w.reserve(6);
    w.smallint(r.lookedUp === true ? 1 : 0);
    return true;
  } catch {
    return false;
  }
}

/** A whole batch as one COPY stream (the bench and tests; the recorder encodes row by row as records arrive). */
export function predictionsCopy(records: readonly PredictionRecord[]): CopyBatch {
  const w = new CopyWriter(records.length * (FIXED_ROW + 48));
  let rows = 0;
  for (const r of records) {
    const start = w.at;
    if (writePredictionRow(w, r)) rows++;
    else w.at = start;
  }
  return { data: Buffer.concat([COPY_HEADER, w.buf.subarray(0, w.at), COPY_TRAILER]), rows, rejected: records.length - rows };
}
