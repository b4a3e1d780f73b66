import { ValidationFailed } from '../../common/errors.js';
import { buildCategoricalSketch, type CategoricalSketch } from './categorical-sketch.js';
import { buildNumericSketch, DEFAULT_BINS, DEFAULT_SAMPLE_SIZE, type NumericSketch } from './numeric-sketch.js';
import { hashString } from './reservoir.js';

export type FeatureSketch = NumericSketch | CategoricalSketch;

/**
 * A version's training baseline as stored with it (JSON, snake_case): one
 * sketch per feature, one for the model's prediction on the baseline rows
 * (the score for binary classification, the value for regression, the
 * predicted class for multiclass), and one for the label when the rows had it.
 */
export interface BaselineSketch {
  row_count: number;
  features: Record<string, FeatureSketch>;
  prediction: FeatureSketch;
  label?: FeatureSketch;
}

export type PredictionValues =
  | { type: 'numeric'; values: ArrayLike<number> }
  | { type: 'categorical'; values: ArrayLike<number | string> };

export interface BuildBaselineInput {
  featureNames: readonly string[];
  /** Names among featureNames whose values are category codes. */
  categorical: readonly string[];
  /** One column per feature, in featureNames order; NaN is missing. */
  columns: readonly ArrayLike<number>[];
  rowCount: number;
  prediction: PredictionValues;
  labels?: ArrayLike<number>;
  /**
   * How to sketch the label. Default: categorical when the prediction is, or
   * when every label is 0 or 1 (binary classification); numeric otherwise
   * (regression). The registry knows the task and should say.
   */
  labelType?: 'numeric' | 'categorical';
  bins?: number;
  sampleSize?: number;
  seed?: number;
}

export const DEFAULT_SEED = 0x6d67;

export function buildBaselineSketch(input: BuildBaselineInput): BaselineSketch {
  const { featureNames, columns, rowCount } = input;
  if (columns.length !== featureNames.length) {
    throw new RangeError(`${columns.length} columns for ${featureNames.length} features`);
  }
  const categorical = new Set(input.categorical);
  const bins = input.bins ?? DEFAULT_BINS;
  const sampleSize = input.sampleSize ?? DEFAULT_SAMPLE_SIZE;
  const seed = input.seed ?? DEFAULT_SEED;
  // Each column draws its own sample stream, keyed by name; the prediction
  // and label keys cannot collide with a feature name.
  const numeric = (column: string, values: ArrayLike<number>, stream = column) =>
    sketchOrRefuse(column, () => buildNumericSketch(values, { bins, sampleSize, seed: streamSeed(seed, stream) }));
  const categoricalOf = (column: string, values: ArrayLike<number | string>) =>
    sketchOrRefuse(column, () => nonEmpty(buildCategoricalSketch(values)));

  const features: Record<string, FeatureSketch> = {};
  featureNames.forEach((name, f) => {
    const column = columns[f];
    if (column.length !== rowCount) throw new RangeError(`column ${name} has ${column.length} values for ${rowCount} rows`);
    features[name] = categorical.has(name) ? categoricalOf(name, column) : numeric(name, column);
  });

  const p = input.prediction;
  if (p.values.length !== rowCount) throw new RangeError(`${p.values.length} predictions for ${rowCount} rows`);
  const prediction =
    p.type === 'categorical' ? categoricalOf('prediction', p.values) : numeric('prediction', p.values, '\u0000prediction');

  const sketch: BaselineSketch = { row_count: rowCount, features, prediction };
  if (input.labels) {
    if (input.labels.length !== rowCount) throw new RangeError(`${input.labels.length} labels for ${rowCount} rows`);
    const type = input.labelType ?? inferLabelType(p.type, input.labels);
    sketch.label = type === 'categorical' ? categoricalOf('label', input.labels) : numeric('label', input.labels, '\u0000label');
  }
  return sketch;
}

function streamSeed(seed: number, name: string): number {
  return (hashString(name) ^ seed) >>> 0;
}

function inferLabelType(predictionType: 'numeric' | 'categorical', labels: ArrayLike<number>): 'numeric' | 'categorical' {
  if (predictionType === 'categorical') return 'categorical';
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (!Number.isNaN(v) && v !== 0 && v !== 1) return 'numeric';
  }
  return 'categorical';
}

function nonEmpty(s: CategoricalSketch): CategoricalSketch {
  if (s.count === 0) throw new RangeError('no values to sketch: every value is missing');
  return s;
}

/**
 * A column with nothing but missing values has no distribution to compare
 * live traffic against; the upload is refused naming it rather than storing
 * a sketch every later drift check would have to special-case.
 */
function sketchOrRefuse<T>(column: string, build: () => T): T {
  try {
    return build();
  } catch (err) {
    if (!(err instanceof RangeError)) throw err;
    throw new ValidationFailed(`baseline column "${column}" cannot be sketched: ${err.message}`, { field: 'baseline', column });
  }
}
