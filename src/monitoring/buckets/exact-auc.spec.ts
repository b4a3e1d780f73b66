import { describe, expect, it } from 'vitest';
import { rocAuc } from '../stats/roc-auc.js';
import { SeededRandom } from '../sketch/reservoir.js';
import { exactAucs, exactAucsBySorting, type ScoredCell, sortKeysWithTags } from './exact-auc.js';
import { packScores } from './label-deltas.js';

/** Cells of random float32 scores in request-sized chunks; `ties` rounds scores to a coarse grid. */
function randomCells(seed: number, cells: number, buckets: number, opts: { ties?: boolean; perCell?: number; signed?: boolean } = {}) {
  const r = new SeededRandom(seed);
  const u = () => r.nextUint32() / 2 ** 32;
  const out: ScoredCell[] = [];
  const labels: number[][] = Array.from({ length: buckets }, () => []);
  const scores: number[][] = Array.from({ length: buckets }, () => []);
  for (let c = 0; c < cells; c++) {
    const bucket = Math.floor((c * buckets) / cells);
    const pos: Buffer[] = [];
    const neg: Buffer[] = [];
    const size = opts.perCell ?? 1 + Math.floor(u() * 400);
    for (let done = 0; done < size; ) {
      const n = Math.min(size - done, 1 + Math.floor(u() * 90));
      const p: number[] = [];
      const q: number[] = [];
      for (let i = 0; i < n; i++) {
        const y = u() < 0.4 ? 1 : 0;
        let s = Math.fround(((u() ** 2 + y * 0.3) / 1.3) * (opts.signed ? 4 : 1) - (opts.signed ? 2 : 0));
        if (opts.ties) s = Math.fround(Math.round(s * 20) / 20);
        if (opts.signed && s === 0 && u() < 0.5) s = -0;
        (y ? p : q).push(s);
        labels[bucket].push(y);
        scores[bucket].push(s);
      }
      if (p.length) pos.push(packScores(p)!);
      if (q.length) neg.push(packScores(q)!);
      done += n;
    }
    // Offset by a byte: COPY hands fields back at any alignment.
    const unaligned = (bs: Buffer[]) => (bs.length ? Buffer.concat([Buffer.alloc(1), ...bs]).subarray(1) : null);
    out.push({ bucket, pos: unaligned(pos), neg: unaligned(neg) });
  }
  return { cells: out, labels, scores };
}

const same = (a: { auc: number; variance: number; positives: number; negatives: number }, b: typeof a) => {
  expect(a.positives).toBe(b.positives);
  expect(a.negatives).toBe(b.negatives);
  if (Number.isNaN(b.auc)) expect(a.auc).toBeNaN();
  else expect(Math.abs(a.auc - b.auc)).toBeLessThan(1e-12);
  if (Number.isNaN(b.variance)) expect(a.variance).toBeNaN();
  else expect(Math.abs(a.variance - b.variance)).toBeLessThan(1e-15);
};

describe('exact AUC of every bucket and the range from one sort', () => {
  it('equals the reference route (each bucket and the range sorted by value) on random data, with and without ties', () => {
    for (const [seed, ties] of [[1, false], [2, true], [3, false], [4, true]] as const) {
      const { cells } = randomCells(seed, 37, 6, { ties });
      const got = exactAucs(cells, 6)!;
      const want = exactAucsBySorting(cells, 6);
      same(got.whole, want.whole);
      got.buckets.forEach((b, i) => same(b, want.buckets[i]));
    }
  });

  it("equals scikit-learn's rank AUC per bucket and over the range, negative scores and -0 included (one tie with +0)", () => {
    const { cells, labels, scores } = randomCells(5, 20, 4, { ties: true, signed: true });
    const got = exactAucs(cells, 4)!;
    labels.forEach((l, b) => expect(Math.abs(got.buckets[b].auc - rocAuc(l, scores[b]))).toBeLessThan(1e-12));
    expect(Math.abs(got.whole.auc - rocAuc(labels.flat(), scores.flat()))).toBeLessThan(1e-12);
    expect(scores.flat().some((s) => Object.is(s, -0))).toBe(true);
  });

  it('gives empty buckets and one-class buckets no AUC, as the reference does', () => {
    const onlyPos: ScoredCell = { bucket: 0, pos: packScores([0.125, 0.25, 0.25]), neg: null };
    const both: ScoredCell = { bucket: 2, pos: packScores([0.875, 0.5]), neg: packScores([0.5, 0.125]) };
    const got = exactAucs([onlyPos, both], 3)!;
    const want = exactAucsBySorting([onlyPos, both], 3);
    got.buckets.forEach((b, i) => same(b, want.buckets[i]));
    same(got.whole, want.whole);
    expect(got.buckets[1]).toMatchObject({ positives: 0, negatives: 0 });
    expect(got.buckets[2].auc).toBe(0.875);
    expect(exactAucs([], 2)!.whole.auc).toBeNaN();
  });

  it('leaves float64 scores and too many buckets to the reference route', () => {
    expect(exactAucs([{ bucket: 0, pos: packScores([1 / 3]), neg: packScores([0.25]) }], 1)).toBeNull();
    expect(exactAucs([], 200)).toBeNull();
  });

  it('stays right when reused for a smaller read after a larger one', () => {
    const big = randomCells(6, 30, 3, { perCell: 2000 });
    const small = randomCells(7, 5, 2, { ties: true });
    exactAucs(big.cells, 3);
    const got = exactAucs(small.cells, 2)!;
    const want = exactAucsBySorting(small.cells, 2);
    same(got.whole, want.whole);
    got.buckets.forEach((b, i) => same(b, want.buckets[i]));
  });

  it('radix-sorts keys with their tags, stable among equal keys', () => {
    const r = new SeededRandom(9);
    const keys = Uint32Array.from({ length: 5000 }, () => (r.nextUint32() % 7 === 0 ? 0xdeadbeef : r.nextUint32()));
    const tags = Uint8Array.from({ length: 5000 }, (_, i) => i % 251);
    const want = Array.from(keys, (k, i) => [k, tags[i], i]).sort((a, b) => a[0] - b[0] || a[2] - b[2]);
    const got = sortKeysWithTags(keys.slice(), tags.slice());
    expect(Array.from(got.keys)).toEqual(want.map((w) => w[0]));
    expect(Array.from(got.tags)).toEqual(want.map((w) => w[1]));
    const same16 = sortKeysWithTags(Uint32Array.from([5, 3, 5, 1]), Uint8Array.from([1, 2, 3, 4]));
    expect([Array.from(same16.keys), Array.from(same16.tags)]).toEqual([[1, 3, 5, 5], [4, 2, 1, 3]]);
  });
});
