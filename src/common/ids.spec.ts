import { describe, expect, it } from 'vitest';
import { lastUuidv7Bytes, randomToken, uuidv7, uuidv7Time } from './ids.js';

const UUID7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('makes RFC 9562 version-7 ids that carry their creation time', () => {
    const at = Date.UTC(2026, 10, 25, 12, 0, 0, 123);
    const id = uuidv7(at);
    expect(id).toMatch(UUID7);
    expect(uuidv7Time(id)).toBe(at);
  });

  it('sorts ids in creation order, also within one millisecond', () => {
    const ids = Array.from({ length: 5000 }, () => uuidv7(1_800_000_000_000));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives the 16 bytes of the id it made last, and of no other id', () => {
    const out = new Uint8Array(20).fill(0xee);
    for (let i = 0; i < 2000; i++) {
      const id = uuidv7(i < 1000 ? 1_800_000_000_000 + i : Date.now());
      expect(lastUuidv7Bytes(id, out, 2)).toBe(true);
      expect(Buffer.from(out.subarray(2, 18)).toString('hex')).toBe(id.replaceAll('-', ''));
      expect([out[0], out[1], out[18], out[19]]).toEqual([0xee, 0xee, 0xee, 0xee]);
    }
    const older = uuidv7();
    const copy = `${older}`.split('').join('');
    uuidv7();
    out.fill(0);
    expect(lastUuidv7Bytes(older, out, 0)).toBe(false);
    expect(lastUuidv7Bytes(copy, out, 0)).toBe(false);
    expect(lastUuidv7Bytes('0195f0a4-1f3c-7b6e-9d2a-1c2b3d4e5f60', out, 0)).toBe(false);
    expect(out.every((b) => b === 0)).toBe(true);
  });

  it('tells a non-v7 string apart', () => {
    expect(uuidv7Time('not-a-uuid')).toBeUndefined();
    expect(uuidv7Time('0195f0a4-1f3c-4b6e-9d2a-1c2b3d4e5f60')).toBeUndefined();
  });
});

describe('randomToken', () => {
  it('gives lowercase base32 of the expected length', () => {
    expect(randomToken(10)).toMatch(/^[a-z2-7]{16}$/);
  });
});
