import type { BaselineSketch, FeatureSketch } from '../sketch/baseline-sketch.js';

/**
 * How a live column is tallied, fixed by the version's baseline so every
 * replica's partial sketches line up bin for bin: a numeric column on the
 * baseline's edges, a categorical one on the baseline's categories (in their
 * stored order) plus one unseen bucket.
 */
export interface NumericColumnLayout {
  kind: 'numeric';
  name: string;
  edges: Float64Array;
}

export interface CategoricalColumnLayout {
  kind: 'categorical';
  name: string;
  categories: readonly string[];
  /**
   * Category index by the value as it arrives: numeric codes come in a
   * Float32Array or Float64Array, so each numeric key is registered both as
   * itself and rounded to float32; class labels come as strings.
   */
  index: ReadonlyMap<number | string, number>;
  /**
   * The common case, small non-negative integer codes, as a lookup table:
   * codes[c] is the category index + 1 (0: not a baseline category). A typed
   * array read is cheaper than hashing the double.
   */
  codes: Int32Array;
}

/** Integer codes below this are looked up in `codes`; others in `index`. */
export const CODE_TABLE_SIZE = 1024;

export type ColumnLayout = NumericColumnLayout | CategoricalColumnLayout;

export interface SeriesLayout {
  featureNames: readonly string[];
  /** One per feature in the version's order; null when the baseline has no sketch of it (or there is no baseline). */
  features: readonly (ColumnLayout | null)[];
  prediction: ColumnLayout | null;
}

export function buildLayout(featureNames: readonly string[], baseline: BaselineSketch | null | undefined): SeriesLayout {
  return {
    featureNames,
    features: featureNames.map((name) => (baseline?.features[name] ? columnLayout(name, baseline.features[name]) : null)),
    prediction: baseline?.prediction ? columnLayout('score', baseline.prediction) : null,
  };
}

function columnLayout(name: string, sketch: FeatureSketch): ColumnLayout {
  if (sketch.type === 'numeric') return { kind: 'numeric', name, edges: Float64Array.from(sketch.edges) };
  const categories = Object.keys(sketch.frequencies);
  const index = new Map<number | string, number>();
  categories.forEach((key, i) => {
    index.set(key, i);
    const n = Number(key);
    if (key.trim() !== '' && Number.isFinite(n)) {
      index.set(n, i);
      index.set(Math.fround(n), i);
    }
  });
  const codes = new Int32Array(CODE_TABLE_SIZE);
  categories.forEach((key, i) => {
    const n = Number(key);
    if (key.trim() !== '' && Number.isInteger(n) && n >= 0 && n < CODE_TABLE_SIZE) codes[n] = i + 1;
  });
  return { kind: 'categorical', name, categories, index, codes };
}
