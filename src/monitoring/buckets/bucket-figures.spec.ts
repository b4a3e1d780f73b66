import { describe, expect, it } from 'vitest';
import { rocAuc } from '../stats/roc-auc.js';
import { bucketSpans, MINUTE_MS } from './bucket-grid.js';
import { seriesFigures } from './bucket-figures.js';
import type { LabelCellRow, PredictionCellRow } from './bucket-store.js';
import { packScores } from './label-deltas.js';

const T0 = 100 * 3_600_000;
const prediction = (source: number, n: number): PredictionCellRow => ({ version: 1, variant: 'v1', feature_source: source, grain: 60, bucket_start: new Date(T0), predictions: n, scored: n, score_sum: n / 2 });
const labelled = (source: number, pos: number[], neg: number[]): LabelCellRow => ({
  version: 1,
  variant: 'v1',
  feature_source: source,
  grain: 60,
  bucket_start: new Date(T0),
  labels: pos.length + neg.length,
  binary_labels: pos.length + neg.length,
  positives: pos.length,
  log_loss_sum: 0,
  score_sum: [...pos, ...neg].reduce((a, b) => a + b, 0),
  classified: 0,
  correct: 0,
  valued: 0,
  sq_error_sum: 0,
  abs_error_sum: 0,
  pos_scores: packScores(pos),
  neg_scores: packScores(neg),
});

describe('series figures over cells with a row per feature source', () => {
  const spans = bucketSpans(T0, T0 + MINUTE_MS, MINUTE_MS);
  const sent = { pos: [0.875, 0.75], neg: [0.25, 0.5] };
  const looked = { pos: [0.375, 0.625], neg: [0.5, 0.125, 0.6875] };

  it('sums both sources of a cell into one series, every labelled score in its exact AUC', () => {
    const [s] = seriesFigures(spans, [prediction(0, 4), prediction(1, 5)], [labelled(0, sent.pos, sent.neg), labelled(1, looked.pos, looked.neg)], 'binary_classification', true);
    const pos = [...sent.pos, ...looked.pos];
    const neg = [...sent.neg, ...looked.neg];
    expect(s.whole).toMatchObject({ predictions: 9, labels: 9, positive_rate: 4 / 9 });
    expect(s.whole.auc).toBeCloseTo(rocAuc([...pos.map(() => 1), ...neg.map(() => 0)], [...pos, ...neg]), 12);
    expect(s.buckets).toHaveLength(1);
    expect(s.buckets[0].labels).toBe(9);
  });

  it("gives one source's figures when given only that source's rows", () => {
    const [s] = seriesFigures(spans, [prediction(1, 5)], [labelled(1, looked.pos, looked.neg)], 'binary_classification', true);
    expect(s.whole).toMatchObject({ predictions: 5, labels: 5 });
    expect(s.whole.auc).toBeCloseTo(rocAuc([1, 1, 0, 0, 0], [...looked.pos, ...looked.neg]), 12);
  });
});
