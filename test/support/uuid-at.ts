import { randomBytes } from 'node:crypto';

/**
 * A UUIDv7 for any millisecond, past or future. `uuidv7(now)` from the
 * service keeps its clock monotonic (an earlier `now` yields a current id,
 * a later one moves every following id forward), so tests that need ids of
 * other days build them here.
 */
export function uuidv7At(ms: number): string {
  const t = ms.toString(16).padStart(12, '0');
  const r = randomBytes(10).toString('hex');
  const variant = (8 | (parseInt(r[3], 16) & 3)).toString(16);
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${r.slice(0, 3)}-${variant}${r.slice(4, 7)}-${r.slice(7, 19)}`;
}
