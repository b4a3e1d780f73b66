import ort from 'onnxruntime-node';
import type { PredictionRow } from '../prediction-rows.js';

/** The extra output that `parameters.explain_features` asks for. */
export const FEATURES_OUTPUT = 'features';

/**
 * The `features` output of an Open Inference Protocol answer: BYTES `[N]`,
 * element i the JSON of row i's `{feature: {value, source, age_ms}}`, the
 * map `/v1` answers as `predictions[i].features` (the core fills it; this
 * only serialises it). BYTES because a map has no tensor datatype, and one
 * string per row so that every encoder (JSON, binary data, gRPC typed or
 * raw) carries it as it carries any BYTES output. Undefined when the core
 * filled no rows (a version without online features, or a request without
 * entity inputs), as `/v1` then answers no `features`.
 */
export function explanationTensor(predictions: readonly PredictionRow[]): ort.Tensor | undefined {
  const n = predictions.length;
  if (n === 0 || predictions[0].features === undefined) return undefined;
  const json = new Array<string>(n);
  for (let i = 0; i < n; i++) json[i] = JSON.stringify(predictions[i].features);
  return new ort.Tensor('string', json, [n]);
}
