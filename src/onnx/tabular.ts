import ort from 'onnxruntime-node';
import { ValidationFailed } from '../common/errors.js';
import { Int64Writer } from './datatypes.js';
import type { ModelSignature, TensorSpec, V2Datatype } from './model-signature.js';

/**
 * How a tabular model takes its features: one [N, F] matrix input, or one
 * [N, 1] input per feature (the feature names are then the input names, in
 * input order).
 */
export type TabularLayout =
  | { kind: 'matrix'; input: TensorSpec; width: number }
  | { kind: 'columns'; inputs: TensorSpec[] };

/** A row-major `rows × width` matrix; NaN marks a missing value. */
export type FeatureMatrix = Float64Array | Float32Array;

const NUMERIC: ReadonlySet<V2Datatype> = new Set<V2Datatype>(['FP32', 'FP64', 'INT32', 'INT64']);

/** The tabular layout of a signature, or undefined when its inputs are not tabular. */
export function tabularLayout(signature: ModelSignature): TabularLayout | undefined {
  const inputs = signature.inputs;
  if (inputs.length === 0 || !inputs.every((i) => NUMERIC.has(i.datatype))) return undefined;
  if (inputs.length === 1) {
    const [input] = inputs;
    if (input.shape.length === 2 && input.shape[0] === -1 && input.shape[1] > 0) {
      return { kind: 'matrix', input, width: input.shape[1] };
    }
  }
  if (inputs.every((i) => i.shape.length === 2 && i.shape[0] === -1 && i.shape[1] === 1)) {
    return { kind: 'columns', inputs };
  }
  return undefined;
}

/**
 * The layout with its column inputs in the order of `featureNames`, the
 * order rows are written in; a matrix layout is returned as it is.
 */
export function inFeatureOrder(layout: TabularLayout, featureNames: readonly string[]): TabularLayout {
  if (layout.kind === 'matrix') return layout;
  const byName = new Map(layout.inputs.map((i) => [i.name, i]));
  const inputs = featureNames.map((n) => {
    const input = byName.get(n);
    if (!input) throw new Error(`feature "${n}" is not one of the model's inputs`);
    return input;
  });
  if (inputs.length !== layout.inputs.length) throw new Error(`${featureNames.length} feature names for ${layout.inputs.length} inputs`);
  return { kind: 'columns', inputs };
}

export function tabularWidth(layout: TabularLayout): number {
  return layout.kind === 'matrix' ? layout.width : layout.inputs.length;
}

/**
 * The feeds for `rows` rows of `data` (the first `rows × width` values are
 * used), converted to each input's element type. Called on every prediction
 * batch: one typed array per input at most, no work per value beyond the
 * copy and, for integer inputs, the integer check.
 */
export function tabularFeeds(layout: TabularLayout, data: FeatureMatrix, rows: number): Record<string, ort.Tensor> {
  const width = tabularWidth(layout);
  const n = rows * width;
  if (data.length < n) throw new Error(`a ${rows}-row batch of ${width} features needs ${n} values, got ${data.length}`);
  const feeds: Record<string, ort.Tensor> = {};
  if (layout.kind === 'matrix') {
    const values = data.length === n ? data : data.subarray(0, n);
    feeds[layout.input.name] = toTensor(layout.input, values, 1, 0, n, width, [rows, width]);
    return feeds;
  }
  const dims = [rows, 1];
  for (let f = 0; f < width; f++) {
    const input = layout.inputs[f];
    feeds[input.name] = toTensor(input, data, width, f, rows, width, dims);
  }
  return feeds;
}

/**
 * Copies `count` values `data[offset + k × stride]` into a tensor of the
 * input's element type; a direct view when no conversion or gather is needed.
 */
function toTensor(
  input: TensorSpec,
  data: FeatureMatrix,
  stride: number,
  offset: number,
  count: number,
  width: number,
  dims: number[],
): ort.Tensor {
  switch (input.datatype) {
    case 'FP32': {
      if (stride === 1 && data instanceof Float32Array) return new ort.Tensor('float32', data, dims);
      const out = new Float32Array(count);
      if (stride === 1) out.set(data);
      else for (let k = 0, i = offset; k < count; k++, i += stride) out[k] = data[i];
      return new ort.Tensor('float32', out, dims);
    }
    case 'FP64': {
      if (stride === 1 && data instanceof Float64Array) return new ort.Tensor('float64', data, dims);
      const out = new Float64Array(count);
      if (stride === 1) out.set(data);
      else for (let k = 0, i = offset; k < count; k++, i += stride) out[k] = data[i];
      return new ort.Tensor('float64', out, dims);
    }
    case 'INT32': {
      const out = new Int32Array(count);
      for (let k = 0, i = offset; k < count; k++, i += stride) {
        const v = data[i];
        if (v !== Math.trunc(v) || v < -2147483648 || v > 2147483647) throw notInteger(input, v, k, stride, offset, width);
        out[k] = v;
      }
      return new ort.Tensor('int32', out, dims);
    }
    case 'INT64': {
      const out = new Int64Writer(count);
      for (let k = 0, i = offset; k < count; k++, i += stride) {
        const v = data[i];
        if (v !== Math.trunc(v) || v < -9007199254740991 || v > 9007199254740991) throw notInteger(input, v, k, stride, offset, width);
        out.set(k, v);
      }
      return new ort.Tensor('int64', out.array, dims);
    }
    default:
      throw new Error(`input "${input.name}" (${input.datatype}) is not a tabular input`);
  }
}

function notInteger(input: TensorSpec, v: number, k: number, stride: number, offset: number, width: number): ValidationFailed {
  const flat = offset + k * stride;
  const row = Math.floor(flat / width);
  const feature = flat % width;
  const type = input.datatype.toLowerCase();
  const message = Number.isNaN(v)
    ? `feature ${feature} of row ${row} is missing, but the model's input "${input.name}" is ${type} and has no way to represent a missing value`
    : `feature ${feature} of row ${row} is ${v}, but the model's input "${input.name}" takes ${type} values: send an integer`;
  return new ValidationFailed(message, { feature_index: feature, row, input: input.name, value: Number.isNaN(v) ? null : v });
}
