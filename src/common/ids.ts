import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const POOL_SIZE = 16 * 1024;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;
let lastMs = 0;
let seq = 0;
/** The last id made and its 16 bytes: the prediction log writes each id as bytes right after it is made. */
let lastId = '';
const lastBytes = new Uint8Array(16);

/**
 * UUIDv7 (RFC 9562): 48-bit Unix ms timestamp, then a 12-bit counter in
 * rand_a so ids made in the same millisecond still sort in creation order,
 * then 62 random bits. Random bytes come from a pool refilled in bulk
 * because this runs once per prediction.
 */
export function uuidv7(now = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    seq = 0;
  } else if (++seq > 0xfff) {
    lastMs++;
    seq = 0;
  }
  if (poolOffset + 8 > POOL_SIZE) {
    pool = randomBytes(POOL_SIZE);
    poolOffset = 0;
  }
  const ms = lastMs;
  const r = pool;
  const o = poolOffset;
  poolOffset += 8;
  const hi = Math.floor(ms / 0x10000);
  const lo = ms & 0xffff;
  const b = lastBytes;
  b[0] = hi >>> 24;
  b[1] = hi >>> 16;
  b[2] = hi >>> 8;
  b[3] = hi;
  b[4] = lo >>> 8;
  b[5] = lo;
  b[6] = 0x70 | (seq >>> 8);
  b[7] = seq;
  b[8] = 0x80 | (r[o] & 0x3f);
  for (let i = 1; i < 8; i++) b[8 + i] = r[o + i];
  lastId =
    HEX[b[0]] + HEX[b[1]] + HEX[b[2]] + HEX[b[3]] + '-' +
    HEX[b[4]] + HEX[b[5]] + '-' +
    HEX[b[6]] + HEX[b[7]] + '-' +
    HEX[b[8]] + HEX[b[9]] + '-' +
    HEX[b[10]] + HEX[b[11]] + HEX[b[12]] + HEX[b[13]] + HEX[b[14]] + HEX[b[15]];
  return lastId;
}

/**
 * Copies the 16 bytes of `id` into `out` at `at` when `id` is the last id
 * `uuidv7` made (true), so that its hex need not be parsed back; false
 * (nothing written) for any other id.
 */
export function lastUuidv7Bytes(id: string, out: Uint8Array, at: number): boolean {
  if (id !== lastId) return false;
  // Quicker than a native copy for 16 bytes.
  for (let i = 0; i < 16; i++) out[at + i] = lastBytes[i];
  return true;
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** The creation time of a UUIDv7, or undefined when `id` is not one. */
export function uuidv7Time(id: string): number | undefined {
  if (!UUID_RE.test(id)) return undefined;
  return parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
}

/** Random lowercase base32 (no padding), for key ids and secrets. */
export function randomToken(bytes: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  const buf = randomBytes(bytes);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** With MODELGATE_WORKERS above 1, which worker answered (its pid), as `x-modelgate-worker`. */
export const WORKER_PID = cluster.isWorker ? String(process.pid) : undefined;
