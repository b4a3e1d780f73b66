/**
 * Reading PostgreSQL's binary COPY output (`COPY (...) TO STDOUT (FORMAT
 * binary)`): how the label cells' packed scores are read. node-postgres
 * hands a bytea back as hex text (twice its bytes, decoded as UTF-8 and then
 * as hex: most of an exact read's time at millions of scores); binary COPY
 * hands over the bytes themselves.
 */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/** The rows of a binary COPY stream, each a list of its fields' raw bytes (views into `data`; null for NULL). */
export function parseBinaryCopy(data: Buffer): (Buffer | null)[][] {
  if (data.length < SIGNATURE.length + 8 || !data.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new Error('not a binary COPY stream');
  let at = SIGNATURE.length + 4;
  at += 4 + data.readUInt32BE(at);
  const rows: (Buffer | null)[][] = [];
  for (;;) {
    if (at + 2 > data.length) throw new Error('binary COPY stream ends without its trailer');
    const fields = data.readInt16BE(at);
    at += 2;
    if (fields === -1) return rows;
    const row: (Buffer | null)[] = [];
    for (let f = 0; f < fields; f++) {
      const len = data.readInt32BE(at);
      at += 4;
      if (len < 0) row.push(null);
      else {
        if (at + len > data.length) throw new Error('binary COPY field runs past the stream');
        row.push(data.subarray(at, at + len));
        at += len;
      }
    }
    rows.push(row);
  }
}

/** A float8 field (null stays null). */
export const float8 = (b: Buffer | null): number | null => (b === null ? null : b.readDoubleBE(0));

/** A text field (null stays null). */
export const text = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8'));

/**
 * A string as an SQL literal for a statement that cannot take parameters
 * (COPY): an escape string literal, so it reads the same whatever
 * `standard_conforming_strings` says.
 */
export function sqlString(s: string): string {
  if (s.includes('\0')) throw new RangeError('a NUL character cannot be in an SQL string');
  return `E'${s.replaceAll('\\', '\\\\').replaceAll("'", "''")}'`;
}

/**
 * Buffers for COPY output kept between reads: first touching fresh memory
 * costs more on this kind of machine than the read (about 100 ms for the
 * 15 MB of 3.7M scores). A read leases the smallest that fits, and gives it
 * back once nothing points into it; two are kept, each dropped after a
 * minute unused (so the gauges' small reads do not hold an hour's buffer).
 */
const idle: { buf: Buffer; at: number }[] = [];
const KEEP = 2;
const KEEP_MS = 60_000;
let drop: NodeJS.Timeout | null = null;

function prune(now: number): void {
  for (let i = idle.length - 1; i >= 0; i--) if (now - idle[i].at > KEEP_MS) idle.splice(i, 1);
}

export function leaseBuffer(size: number): Buffer {
  prune(Date.now());
  let best = -1;
  idle.forEach((e, i) => {
    if (e.buf.length >= size && (best < 0 || e.buf.length < idle[best].buf.length)) best = i;
  });
  if (best >= 0) return idle.splice(best, 1)[0].buf;
  return Buffer.allocUnsafeSlow(Math.max(65_536, 2 ** Math.ceil(Math.log2(Math.max(1, size)))));
}

export function giveBack(b: Buffer): void {
  const now = Date.now();
  prune(now);
  idle.push({ buf: b, at: now });
  if (idle.length > KEEP) idle.splice(0, idle.length - KEEP);
  if (drop) clearTimeout(drop);
  drop = setTimeout(() => {
    idle.length = 0;
    drop = null;
  }, KEEP_MS);
  drop.unref?.();
}
