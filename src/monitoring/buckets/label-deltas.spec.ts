import { describe, expect, it } from 'vitest';
import { HOUR_MS, MINUTE_MS } from './bucket-grid.js';
import { type JoinedLabel, labelDeltas, packScores, ScoreList, sortFloat32Bits } from './label-deltas.js';

const row = (over: Partial<JoinedLabel>): JoinedLabel => ({
  model_name: 'm',
  version: 1,
  variant: 'v1',
  created_at: new Date(HOUR_MS + 10),
  score: 0.8,
  predicted: '1',
  label: '1',
  value: null,
  ...over,
});

describe('label deltas', () => {
  it('adds a late label to the minute and the hour of its prediction', () => {
    const d = labelDeltas([row({}), row({ score: 0.3, label: '0', predicted: '0' }), row({ created_at: new Date(HOUR_MS + MINUTE_MS), label: '0' })]);
    expect(d.map((x) => [x.grain, x.start])).toEqual([
      [60, HOUR_MS],
      [60, HOUR_MS + MINUTE_MS],
      [3600, HOUR_MS],
    ]);
    const [m0, m1, h] = d;
    expect(m0).toMatchObject({ labels: 2, binaryLabels: 2, positives: 1, classified: 2, correct: 2, pos: [0.8], neg: [0.3] });
    expect(m0.logLossSum).toBeCloseTo(-Math.log(0.8) - Math.log(0.7), 12);
    expect(m1).toMatchObject({ labels: 1, correct: 0, neg: [0.8] });
    expect(h).toMatchObject({ labels: 3, positives: 1, pos: [], neg: [] });
    expect(h.posHistogram!.reduce((a, b) => a + b, 0)).toBe(1);
    expect(h.negHistogram!.reduce((a, b) => a + b, 0)).toBe(2);
  });

  it('keeps looked-up and sent predictions in cells of their own, sent first, reading an absent source as sent', () => {
    const d = labelDeltas([row({ feature_source: 1, score: 0.6 }), row({ feature_source: 0, score: 0.2, label: '0' }), row({ score: 0.9 })]);
    expect(d.map((x) => [x.grain, x.source, x.labels])).toEqual([
      [60, 0, 2],
      [60, 1, 1],
      [3600, 0, 2],
      [3600, 1, 1],
    ]);
    expect(d[0]).toMatchObject({ pos: [0.9], neg: [0.2] });
    expect(d[1]).toMatchObject({ pos: [0.6], neg: [] });
  });

  it('counts regression values for RMSE and MAE and other labels for accuracy only', () => {
    const [d] = labelDeltas([row({ label: null, predicted: null, value: 2, score: 3 }), row({ label: 'cat', predicted: 'dog', score: null })]);
    expect(d).toMatchObject({ labels: 2, binaryLabels: 0, valued: 1, sqErrorSum: 1, absErrorSum: 1, classified: 1, correct: 0, posHistogram: null });
  });

  it('packs float32 scores in four bytes, others in eight, and reads appended chunks back sorted from any offset', () => {
    const narrow = packScores([0.5, Math.fround(0.1), 0.25])!;
    expect(narrow.length).toBe(4 + 3 * 4);
    const list = new ScoreList();
    list.add(Buffer.concat([Buffer.alloc(3), narrow, narrow]).subarray(3));
    expect(Array.from(list.sorted())).toEqual([Math.fround(0.1), Math.fround(0.1), 0.25, 0.25, 0.5, 0.5]);
    list.add(packScores([1 / 3])!);
    expect(Array.from(list.sorted())).toEqual([Math.fround(0.1), Math.fround(0.1), 0.25, 0.25, 1 / 3, 0.5, 0.5]);
    expect(packScores([])).toBeNull();
  });

  it('radix-sorts float32 bit patterns in the order of their values, negatives and zeros included', () => {
    const values = [0.3, -2, 0, 1e-30, 7, -0.5, 0.3, 2 ** -20, 1].map(Math.fround);
    const bits = new Uint32Array(new Float32Array(values).buffer);
    const sorted = Array.from(new Float32Array(sortFloat32Bits(bits).buffer));
    expect(sorted).toEqual([...values].sort((a, b) => a - b));
  });
});
