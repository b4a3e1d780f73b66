import { describe, expect, it } from 'vitest';
import { float8, giveBack, leaseBuffer, parseBinaryCopy, sqlString, text } from './binary-copy.js';

/** A binary COPY stream as PostgreSQL writes it: signature, flags, header extension, tuples, trailer. */
function stream(rows: (Buffer | null)[][], extension = Buffer.alloc(0)): Buffer {
  const parts: Buffer[] = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(4), u32(extension.length), extension];
  for (const r of rows) {
    const n = Buffer.alloc(2);
    n.writeInt16BE(r.length);
    parts.push(n);
    for (const f of r) {
      const len = Buffer.alloc(4);
      len.writeInt32BE(f === null ? -1 : f.length);
      parts.push(len, ...(f === null ? [] : [f]));
    }
  }
  const end = Buffer.alloc(2);
  end.writeInt16BE(-1);
  return Buffer.concat([...parts, end]);
}
const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const f8 = (x: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(x);
  return b;
};

describe('binary COPY output', () => {
  it('reads tuples of float8, text, bytea and NULL fields as views of the bytes', () => {
    const scores = Buffer.from([1, 2, 3, 4, 5, 250]);
    const data = stream([[f8(3), Buffer.from('vé'), scores, null], [f8(-0.5), Buffer.alloc(0), null, null]], Buffer.from('ext'));
    const rows = parseBinaryCopy(data);
    expect(rows).toHaveLength(2);
    expect(float8(rows[0][0])).toBe(3);
    expect(text(rows[0][1])).toBe('vé');
    expect(rows[0][2]!.equals(scores)).toBe(true);
    expect(rows[0][2]!.buffer).toBe(data.buffer);
    expect(rows[0][3]).toBeNull();
    expect(float8(rows[1][0])).toBe(-0.5);
    expect(text(rows[1][1])).toBe('');
    expect(float8(null)).toBeNull();
    expect(parseBinaryCopy(stream([]))).toEqual([]);
  });

  it('refuses what is not a whole binary COPY stream', () => {
    expect(() => parseBinaryCopy(Buffer.from('1\t2\n'))).toThrow(/not a binary COPY/);
    const whole = stream([[f8(1)]]);
    expect(() => parseBinaryCopy(whole.subarray(0, whole.length - 2))).toThrow(/trailer/);
    expect(() => parseBinaryCopy(whole.subarray(0, whole.length - 6))).toThrow();
  });

  it('writes strings as escape literals whatever standard_conforming_strings says', () => {
    expect(sqlString("it's")).toBe("E'it''s'");
    expect(sqlString('a\\b')).toBe("E'a\\\\b'");
    expect(() => sqlString('a\0b')).toThrow(RangeError);
  });

  it('lends buffers again once given back, and a fresh one while one is out', () => {
    const a = leaseBuffer(100_000);
    const b = leaseBuffer(100_000);
    expect(a).not.toBe(b);
    expect(a.length).toBeGreaterThanOrEqual(100_000);
    giveBack(a);
    expect(leaseBuffer(50_000)).toBe(a);
    expect(leaseBuffer(10 * a.length).length).toBeGreaterThanOrEqual(10 * a.length);
    const big = leaseBuffer(1_000_000);
    giveBack(big);
    giveBack(b);
    expect(leaseBuffer(1000)).toBe(b);
    expect(leaseBuffer(1000)).toBe(big);
  });
});
