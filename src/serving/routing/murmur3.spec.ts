import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { murmur3 } from './murmur3.js';

/** The textbook byte-wise algorithm over Buffer's UTF-8, as an oracle for the allocation-free one. */
function reference(key: string, seed: number): number {
  const data = Buffer.from(key, 'utf8');
  const rounds = data.length >> 2;
  let h = seed | 0;
  const mix = (k: number) => {
    k = Math.imul(k, 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    return Math.imul(k, 0x1b873593);
  };
  for (let i = 0; i < rounds; i++) {
    h ^= mix(data.readInt32LE(i * 4));
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = rounds * 4;
  if (tail < data.length) {
    let k = 0;
    for (let i = data.length - 1; i >= tail; i--) k = (k << 8) | data[i];
    h ^= mix(k);
  }
  h ^= data.length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Any UTF-16 code units, biased towards 1- to 4-byte UTF-8 characters, surrogate pairs and lone halves. */
const utf16Strings = fc
  .array(
    fc.oneof(
      fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      fc.constantFrom('a', '\0', 'é', 'π', '€', '😀', '\ud83d', '\ude00'),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

describe('murmur3', () => {
  // Published MurmurHash3_x86_32 test vectors (SMHasher verification set as listed on Wikipedia).
  it.each<[string, number, number]>([
    ['', 0, 0],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['\0\0\0\0', 0, 0x2362f9de],
    ['a', 0x9747b28c, 0x7fa09ea6],
    ['aa', 0x9747b28c, 0x5d211726],
    ['aaa', 0x9747b28c, 0x283e0130],
    ['aaaa', 0x9747b28c, 0x5a97808a],
    ['abc', 0, 0xb3dd93fa],
    ['abcd', 0x9747b28c, 0xf0478627],
    ['Hello, world!', 0x9747b28c, 0x24884cba],
    ['ππππππππ', 0x9747b28c, 0xd58063c1],
    ['The quick brown fox jumps over the lazy dog', 0x9747b28c, 0x2fa826cd],
  ])('hashes %j with seed %i to the published value', (key, seed, expected) => {
    expect(murmur3(key, seed)).toBe(expected);
  });

  it('agrees with the byte-wise algorithm on the UTF-8 encoding of any string, lone surrogates included', () => {
    fc.assert(
      fc.property(utf16Strings, fc.integer({ min: 0, max: 0xffffffff }), (key, seed) => murmur3(key, seed) === reference(key, seed)),
      { numRuns: 1000 },
    );
  });

  it('hashes a lone surrogate as U+FFFD, as Buffer encodes it', () => {
    expect(murmur3('a\ud800b', 7)).toBe(murmur3('a\ufffdb', 7));
    expect(murmur3('\udc00', 7)).toBe(murmur3('\ufffd', 7));
  });
});
