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
}

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
  return { kind: 'categorical', name, categories, index };
}
