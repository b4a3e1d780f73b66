import { buildCalibration, type VersionCalibration } from '../monitoring/estimate/calibration.js';
import { buildBaselineSketch, type BaselineSketch } from '../monitoring/sketch/baseline-sketch.js';
import { parseBaselineUpload } from '../monitoring/sketch/baseline-input.js';
import type { ModelTask } from '../onnx/model-signature.js';
import { OnnxSession } from '../onnx/onnx-session.js';
import { scoresOf } from '../onnx/output-decoder.js';
import { tabularFeeds, tabularWidth } from '../onnx/tabular.js';
import { FeatureMismatch, InvalidUpload } from './registry.errors.js';
import type { ResolvedFeatures } from './version-validation.js';

const CHUNK_ROWS = 2048;

/** A version's baseline: the sketch, and for a binary model whose rows carry 0/1 labels, its calibration. */
export interface VersionBaseline {
  sketch: BaselineSketch;
  calibration: VersionCalibration | null;
}

/**
 * Turns an uploaded baseline into the version's training-baseline sketch:
 * a precomputed sketch is taken as it is; rows are scored with the model
 * itself so the prediction baseline is what this very artifact outputs.
 * Labelled rows of a binary model also give its calibration (scores
 * against labels), which CBPE needs; a precomputed sketch gives none.
 */
export async function buildVersionBaseline(
  bytes: Buffer,
  modelFile: string,
  task: ModelTask,
  features: ResolvedFeatures,
  opts: { labelColumn: string; bins: number; sampleSize: number },
): Promise<VersionBaseline> {
  if (task === 'tensor') {
    throw new InvalidUpload('a tensor model has no score or label to monitor (its monitoring is latency and errors only): upload it without a baseline', { field: 'baseline' });
  }
  if (!features.featureNames.length || !features.layout) {
    throw new FeatureMismatch('a baseline needs a tabular model with named features', { field: 'baseline' });
  }
  const parsed = parseBaselineUpload(bytes, {
    featureNames: features.featureNames,
    categorical: features.categorical,
    labelColumn: opts.labelColumn,
  });
  if (parsed.kind === 'sketch') return { sketch: parsed.sketch, calibration: null };

  const width = tabularWidth(features.layout);
  const scores = new Float64Array(parsed.rowCount);
  const session = await OnnxSession.load(modelFile, { intraOpThreads: 1 });
  try {
    const chunk = new Float64Array(Math.min(CHUNK_ROWS, parsed.rowCount) * width);
    for (let start = 0; start < parsed.rowCount; start += CHUNK_ROWS) {
      const rows = Math.min(CHUNK_ROWS, parsed.rowCount - start);
      for (let r = 0; r < rows; r++) {
        for (let f = 0; f < width; f++) chunk[r * width + f] = parsed.columns[f][start + r];
      }
      let results;
      try {
        results = await session.run(tabularFeeds(features.layout, chunk.subarray(0, rows * width), rows));
      } catch (err) {
        throw new InvalidUpload(`the model failed on baseline rows ${start + 1}-${start + rows}: ${(err as Error).message}`, {
          field: 'baseline',
        });
      }
      // Binary: positive-class score; regression: value; multiclass: the
      // predicted class index, sketched as a category.
      scores.set(scoresOf(features.interpretation, results, rows), start);
    }
  } finally {
    await session.release();
  }
  const calibration = task === 'binary_classification' && parsed.labels ? (buildCalibration(scores, parsed.labels) ?? null) : null;
  const sketch = buildBaselineSketch({
    featureNames: features.featureNames,
    categorical: features.categorical,
    columns: parsed.columns,
    rowCount: parsed.rowCount,
    prediction:
      task === 'multiclass_classification'
        ? { type: 'categorical', values: scores }
        : { type: 'numeric', values: scores },
    labels: parsed.labels,
    labelType: task === 'regression' ? 'numeric' : 'categorical',
    bins: opts.bins,
    sampleSize: opts.sampleSize,
  });
  return { sketch, calibration };
}
