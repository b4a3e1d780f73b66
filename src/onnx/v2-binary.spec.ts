import { describe, expect, it } from 'vitest';
import { ValidationFailed } from '../common/errors.js';
import { decodeBytesElements, tensorFromRaw, tensorToRaw } from './v2-binary.js';

const lengthPrefixed = (...s: string[]) =>
  Buffer.concat(s.flatMap((x) => { const b = Buffer.from(x); const n = Buffer.alloc(4); n.writeUInt32LE(b.length); return [n, b]; }));

describe('binary tensor data', () => {
  it('reads little-endian FP32 from an unaligned slice of a body', () => {
    const body = Buffer.alloc(1 + 8);
    body.writeFloatLE(1.5, 1);
    body.writeFloatLE(-2, 5);
    const t = tensorFromRaw('x', 'FP32', [2], body.subarray(1));
    expect(Array.from(t.data as Float32Array)).toEqual([1.5, -2]);
  });

  it('reads INT64 as BigInt64 and writes it back byte for byte', () => {
    const raw = Buffer.from(new BigInt64Array([1n, -3n]).buffer);
    const t = tensorFromRaw('x', 'INT64', [1, 2], raw);
    expect(Array.from(t.data as BigInt64Array)).toEqual([1n, -3n]);
    expect(tensorToRaw(t).equals(raw)).toBe(true);
  });

  it('splits BYTES by their 4-byte little-endian lengths and refuses leftovers or overruns', () => {
    expect(decodeBytesElements(lengthPrefixed('ab', '', 'é'), 3)).toEqual(['ab', '', 'é']);
    expect(decodeBytesElements(Buffer.concat([lengthPrefixed('ab'), Buffer.from([0])]), 1)).toBeNull();
    expect(decodeBytesElements(lengthPrefixed('ab').subarray(0, 5), 1)).toBeNull();
    const t = tensorFromRaw('s', 'BYTES', [2], lengthPrefixed('hi', 'there'));
    expect(tensorToRaw(t).equals(lengthPrefixed('hi', 'there'))).toBe(true);
  });

  it('refuses bytes that do not fill the shape, naming the input and both sizes', () => {
    expect(() => tensorFromRaw('x', 'FP64', [2, 2], Buffer.alloc(24))).toThrow(ValidationFailed);
    expect(() => tensorFromRaw('x', 'FP64', [2, 2], Buffer.alloc(24))).toThrow(/"x".*24 bytes.*needs 32/);
  });

  it('reads BOOL as one byte per element', () => {
    const t = tensorFromRaw('b', 'BOOL', [3], Buffer.from([0, 1, 1]));
    expect(t.type).toBe('bool');
    expect(Array.from(tensorToRaw(t))).toEqual([0, 1, 1]);
  });
});
