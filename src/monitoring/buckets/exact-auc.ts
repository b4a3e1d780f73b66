import { ScoreList } from './label-deltas.js';
import { type AucSummary, aucOfGroups, groupsOfSorted } from './split-auc.js';

/** One minute cell's packed labelled scores (label-deltas.ts `packScores` chunks), in the bucket it counts for. */
export interface ScoredCell {
  /** Position of the bucket among the range's buckets (0-based). */
  bucket: number;
  pos: Buffer | null | undefined;
  neg: Buffer | null | undefined;
}

/** Exact AUC and DeLong's variance of each bucket (by position; empty buckets give NaN figures) and of the whole range. */
export interface ExactAucs {
  whole: AucSummary;
  buckets: AucSummary[];
}

type U32 = Uint32Array<ArrayBufferLike>;
type U8 = Uint8Array<ArrayBufferLike>;

/** Tags carry bucket * 2 + class in a byte. */
const MAX_BUCKETS = 128;
const RADIX_BITS = 11;
const RADIX = 1 << RADIX_BITS;

/**
 * Every bucket's and the whole range's exact AUC with one sort: the float32
 * scores of every cell and both classes go into one array of sortable keys
 * beside a byte naming their bucket and class, one LSD radix sort orders
 * them, and one pass in ascending order cuts groups of tied scores for the
 * whole range and for each bucket at once. What `exactAucsBySorting`
 * computes, without sorting each bucket and then the whole range again and
 * without merging the classes. Null when a cell holds float64 scores (or
 * there are too many buckets for a tag): the caller sorts those by value.
 */
export function exactAucs(cells: readonly ScoredCell[], bucketCount: number): ExactAucs | null {
  if (bucketCount > MAX_BUCKETS) return null;
  let n = 0;
  const perBucket = new Int32Array(bucketCount);
  for (const c of cells) {
    const k = float32Count(c.pos) + float32Count(c.neg);
    if (Number.isNaN(k)) return null;
    n += k;
    perBucket[c.bucket] += k;
  }
  const m = scratch(n);
  const keys = m.keys.subarray(0, n);
  const tags = m.tags.subarray(0, n);
  const bytes = Buffer.from(keys.buffer, keys.byteOffset, keys.byteLength);
  let at = 0;
  for (const c of cells) {
    for (const cls of [1, 0]) {
      const packed = cls === 1 ? c.pos : c.neg;
      if (!packed) continue;
      const start = at;
      for (let off = 0; off + 4 <= packed.length; ) {
        const count = packed.readUInt32LE(off) & 0x7fffffff;
        off += 4;
        packed.copy(bytes, at * 4, off, off + count * 4);
        at += count;
        off += count * 4;
      }
      toKeys(keys, start, at);
      tags.fill(c.bucket * 2 + cls, start, at);
    }
  }
  const sorted = sortKeysWithTags(keys, tags, m.keys2.subarray(0, n), m.tags2.subarray(0, n));
  // Whichever key array the sort did not end in holds the whole range's positive counts.
  const free = sorted.keys.buffer === m.keys.buffer ? m.keys2 : m.keys;
  return groupsAndAucs(sorted.keys, sorted.tags, perBucket, { wp: free, wn: m.wn, bp: m.bp, bn: m.bn });
}

/**
 * Working arrays kept between reads and grown as needed: on this kind of
 * machine first touching fresh memory costs more than the sort itself
 * (about 100 ms for the 15 MB of 3.7M scores), and every array here is
 * written before it is read. Dropped after a minute without an exact read,
 * and shrunk when a minute has passed without a read that needed most of
 * them (the gauges' five-minute reads do not hold an hour's arrays).
 */
interface Scratch {
  keys: Uint32Array;
  keys2: Uint32Array;
  tags: Uint8Array;
  tags2: Uint8Array;
  wn: Uint32Array;
  bp: Uint32Array;
  bn: Uint32Array;
}
let kept: Scratch | null = null;
let bigUseAt = 0;
let release: NodeJS.Timeout | null = null;
const KEEP_MS = 60_000;

function scratch(n: number): Scratch {
  const now = Date.now();
  const shrink = kept !== null && n <= kept.keys.length / 4 && now - bigUseAt > KEEP_MS;
  if (!kept || kept.keys.length < n || shrink) {
    const size = Math.max(1024, 2 ** Math.ceil(Math.log2(Math.max(1, n))));
    kept = {
      keys: new Uint32Array(size),
      keys2: new Uint32Array(size),
      tags: new Uint8Array(size),
      tags2: new Uint8Array(size),
      wn: new Uint32Array(size),
      bp: new Uint32Array(size),
      bn: new Uint32Array(size),
    };
  }
  if (n > kept.keys.length / 4) bigUseAt = now;
  if (release) clearTimeout(release);
  release = setTimeout(() => {
    kept = null;
    release = null;
  }, KEEP_MS);
  release.unref?.();
  return kept;
}

/** The same figures by the reference route: each bucket's scores and the whole range's sorted by value, classes merged into groups. */
export function exactAucsBySorting(cells: readonly ScoredCell[], bucketCount: number): ExactAucs {
  const lists = Array.from({ length: bucketCount }, () => ({ pos: new ScoreList(), neg: new ScoreList() }));
  const all = { pos: new ScoreList(), neg: new ScoreList() };
  for (const c of cells) {
    for (const l of [lists[c.bucket], all]) {
      l.pos.add(c.pos ?? null);
      l.neg.add(c.neg ?? null);
    }
  }
  const auc = (l: { pos: ScoreList; neg: ScoreList }) => {
    const { p, n } = groupsOfSorted(l.pos.sorted(), l.neg.sorted());
    return aucOfGroups(p, n);
  };
  return { whole: auc(all), buckets: lists.map(auc) };
}

/** How many float32 scores packed chunks hold; NaN when one chunk is float64. */
function float32Count(packed: Buffer | null | undefined): number {
  if (!packed) return 0;
  let n = 0;
  for (let off = 0; off + 4 <= packed.length; ) {
    const h = packed.readUInt32LE(off);
    if (h & 0x80000000) return NaN;
    n += h;
    off += 4 + h * 4;
  }
  return n;
}

/**
 * Float32 bit patterns in place to keys that order as unsigned integers in
 * the order of their values: negatives flipped whole, the rest with the
 * sign bit set; -0 becomes +0's key, since the two are one tied score.
 */
function toKeys(keys: Uint32Array, from: number, to: number): void {
  for (let i = from; i < to; i++) {
    const v = keys[i];
    keys[i] = (v === 0x80000000 ? v : v & 0x80000000 ? ~v : v | 0x80000000) >>> 0;
  }
}

/**
 * An LSD radix sort of keys on three 11-bit digits (counts that stay in
 * the cache), carrying each key's tag; the digits are counted in one pass
 * and a digit every key shares is skipped. Returns the sorted arrays
 * (either the inputs or their scratch copies).
 */
export function sortKeysWithTags(
  keys: U32,
  tags: U8,
  spareKeys: U32 = new Uint32Array(keys.length),
  spareTags: U8 = new Uint8Array(keys.length),
): { keys: U32; tags: U8 } {
  const n = keys.length;
  const counts = new Uint32Array(3 * RADIX);
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    counts[k & (RADIX - 1)]++;
    counts[RADIX + ((k >>> RADIX_BITS) & (RADIX - 1))]++;
    counts[2 * RADIX + (k >>> (2 * RADIX_BITS))]++;
  }
  let src: U32 = keys;
  let srcT: U8 = tags;
  let dst = spareKeys;
  let dstT = spareTags;
  for (let pass = 0; pass < 3 && n > 0; pass++) {
    const shift = pass * RADIX_BITS;
    const base = pass * RADIX;
    if (counts[base + ((src[0] >>> shift) & (RADIX - 1))] === n) continue;
    let sum = 0;
    for (let d = 0; d < RADIX; d++) {
      const c = counts[base + d];
      counts[base + d] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const k = src[i];
      const j = counts[base + ((k >>> shift) & (RADIX - 1))]++;
      dst[j] = k;
      dstT[j] = srcT[i];
    }
    const t = src;
    src = dst;
    dst = t;
    const tt = srcT;
    srcT = dstT;
    dstT = tt;
  }
  return { keys: src, tags: srcT };
}

/**
 * One pass over keys in ascending order: a new group wherever the key
 * changes, for the whole range and, within each bucket's own region of the
 * bucket arrays, wherever it changes among that bucket's keys.
 */
function groupsAndAucs(keys: U32, tags: U8, perBucket: Int32Array, m: { wp: U32; wn: U32; bp: U32; bn: U32 }): ExactAucs {
  const n = keys.length;
  const B = perBucket.length;
  const { wp, wn, bp, bn } = m;
  const start = new Int32Array(B);
  const cur = new Int32Array(B);
  const last = new Float64Array(B).fill(-1);
  for (let b = 0, off = 0; b < B; off += perBucket[b++]) {
    start[b] = off;
    cur[b] = off - 1;
  }
  let g = -1;
  let lastKey = -1;
  for (let i = 0; i < n; i++) {
    const k = keys[i];
    const t = tags[i];
    const b = t >>> 1;
    if (k !== lastKey) {
      g++;
      wp[g] = 0;
      wn[g] = 0;
      lastKey = k;
    }
    if (k !== last[b]) {
      const c = ++cur[b];
      bp[c] = 0;
      bn[c] = 0;
      last[b] = k;
    }
    if (t & 1) {
      wp[g]++;
      bp[cur[b]]++;
    } else {
      wn[g]++;
      bn[cur[b]]++;
    }
  }
  const buckets: AucSummary[] = [];
  for (let b = 0; b < B; b++) buckets.push(aucOfGroups(bp.subarray(start[b], cur[b] + 1), bn.subarray(start[b], cur[b] + 1)));
  return { whole: aucOfGroups(wp.subarray(0, g + 1), wn.subarray(0, g + 1)), buckets };
}
