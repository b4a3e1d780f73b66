import { randomBytes } from 'node:crypto';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const POOL_SIZE = 16 * 1024;
let pool = randomBytes(POOL_SIZE);
let poolOffset = 0;
let lastMs = 0;
let seq = 0;

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
  return (
    HEX[(hi >>> 24) & 0xff] + HEX[(hi >>> 16) & 0xff] + HEX[(hi >>> 8) & 0xff] + HEX[hi & 0xff] + '-' +
    HEX[lo >>> 8] + HEX[lo & 0xff] + '-' +
    HEX[0x70 | (seq >>> 8)] + HEX[seq & 0xff] + '-' +
    HEX[0x80 | (r[o] & 0x3f)] + HEX[r[o + 1]] + '-' +
    HEX[r[o + 2]] + HEX[r[o + 3]] + HEX[r[o + 4]] + HEX[r[o + 5]] + HEX[r[o + 6]] + HEX[r[o + 7]]
  );
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
