import { describe, expect, it } from 'vitest';
import { bucketMsOf, bucketSpans, cover, HOUR_MS, MINUTE_MS } from './bucket-grid.js';

describe('the bucket grid', () => {
  it('rounds a bucket up to a whole minute', () => {
    expect(bucketMsOf(1)).toBe(MINUTE_MS);
    expect(bucketMsOf(60)).toBe(MINUTE_MS);
    expect(bucketMsOf(61)).toBe(2 * MINUTE_MS);
    expect(bucketMsOf(3600)).toBe(HOUR_MS);
  });

  it('covers a range with whole hours and the minutes at its edges', () => {
    const from = 10 * HOUR_MS - 2 * MINUTE_MS;
    const to = 13 * HOUR_MS + 3 * MINUTE_MS;
    const cells = cover(from, to);
    expect(cells.filter((c) => c.grain === 3600).map((c) => c.start)).toEqual([10, 11, 12].map((h) => h * HOUR_MS));
    expect(cells.filter((c) => c.grain === 60)).toHaveLength(5);
    expect(cover(0, 3 * MINUTE_MS)).toHaveLength(3);
  });

  it('clips the epoch-aligned buckets to the range widened to whole minutes', () => {
    const spans = bucketSpans(HOUR_MS + 90_000, 3 * HOUR_MS + 1, HOUR_MS);
    expect(spans.map((s) => s.index)).toEqual([1, 2, 3]);
    expect(spans[0].cells).toHaveLength(59);
    expect(spans[1].cells).toEqual([{ grain: 3600, start: 2 * HOUR_MS }]);
    expect(spans[2].cells).toEqual([{ grain: 60, start: 3 * HOUR_MS }]);
  });
});
