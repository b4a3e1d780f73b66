/**
 * MurmurHash3 x86 32-bit of a string's UTF-8 bytes, as an unsigned integer.
 *
 * Standard, so that any other system (a Python `mmh3.hash(key, seed,
 * signed=False)`, a data warehouse UDF) can tell which variant a sticky key
 * lands on. The UTF-8 bytes are produced on the fly from the UTF-16 code
 * units instead of through a TextEncoder: a sticky lookup runs on every
 * request and must not allocate. Lone surrogates hash as U+FFFD, as
 * TextEncoder and Buffer encode them.
 */
export function murmur3(key: string, seed = 0): number {
  let h = seed | 0;
  let block = 0;
  let shift = 0;
  let length = 0;
  const n = key.length;
  for (let i = 0; i < n; i++) {
    let cp = key.charCodeAt(i);
    let bytes: number;
    let count: number;
    if (cp < 0x80) {
      bytes = cp;
      count = 1;
    } else if (cp < 0x800) {
      bytes = (0xc0 | (cp >> 6)) | ((0x80 | (cp & 0x3f)) << 8);
      count = 2;
    } else {
      if (cp >= 0xd800 && cp <= 0xdfff) {
        const next = i + 1 < n ? key.charCodeAt(i + 1) : 0;
        if (cp <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (next - 0xdc00);
          i++;
        } else {
          cp = 0xfffd;
        }
      }
      if (cp < 0x10000) {
        bytes = (0xe0 | (cp >> 12)) | ((0x80 | ((cp >> 6) & 0x3f)) << 8) | ((0x80 | (cp & 0x3f)) << 16);
        count = 3;
      } else {
        bytes =
          (0xf0 | (cp >> 18)) | ((0x80 | ((cp >> 12) & 0x3f)) << 8) | ((0x80 | ((cp >> 6) & 0x3f)) << 16) | ((0x80 | (cp & 0x3f)) << 24);
        count = 4;
      }
    }
    length += count;
    for (; count > 0; count--) {
      block |= (bytes & 0xff) << shift;
      bytes >>>= 8;
      shift += 8;
      if (shift === 32) {
        h ^= scramble(block);
        h = (h << 13) | (h >>> 19);
        h = (Math.imul(h, 5) + 0xe6546b64) | 0;
        block = 0;
        shift = 0;
      }
    }
  }
  if (shift > 0) h ^= scramble(block);
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function scramble(k: number): number {
  k = Math.imul(k, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  return Math.imul(k, 0x1b873593);
}
