import type { FeatureFill, FilledRow } from '../features/online-feature-fill.js';
import { ValidationFailed } from '../common/errors.js';
import type { DecodedRow } from '../onnx/output-decoder.js';
import type { NumericMatrix } from './feature-reader.js';
import type { LoadedVersion } from './loaded-version.js';

/**
 * A request's rows: named instances or ordered rows (`/v1`), or a matrix
 * already in feature order (the Open Inference Protocol's tensor). Exactly one.
 */
export interface RowsInput {
  instances?: readonly unknown[];
  inputs?: readonly unknown[];
  matrix?: { data: NumericMatrix; rows: number; width: number };
  /** `explain_features=true`: each prediction answers the looked-up features it was served (value, source, age). */
  explainFeatures?: boolean;
}

export function rowCount(input: RowsInput): number {
  return input.matrix ? input.matrix.rows : (input.instances ?? input.inputs!).length;
}

export function fieldOf(input: RowsInput): string {
  return input.instances ? 'instances' : input.inputs ? 'inputs' : 'inputs';
}

/** Key of a sampled filled row under which telemetry keeps where each looked-up feature came from. */
export const ONLINE_FEATURES_KEY = '_online_features';

/**
 * Row `i` as telemetry stores sampled inputs: the instance object (for a
 * version with online features, the values served, with each looked-up
 * feature's source and age under `_online_features`), or the ordered values.
 */
export function inputRow(input: RowsInput, i: number, width: number, filled?: readonly FilledRow[]): unknown {
  if (filled) {
    const sources: Record<string, { source: string; age_ms: number | null }> = {};
    for (const [name, f] of Object.entries(filled[i].features)) sources[name] = { source: f.source, age_ms: f.age_ms };
    return { ...filled[i].values, [ONLINE_FEATURES_KEY]: sources };
  }
  if (input.instances) return input.instances[i];
  if (input.inputs) return input.inputs[i];
  const m = input.matrix!;
  return Array.from(m.data.subarray(i * width, (i + 1) * width), (v) => (Number.isNaN(v) ? null : v));
}

export type PredictionRow = DecodedRow & { prediction_id: string; features?: Record<string, FeatureFill> };

/** Reads a request's rows with a version's compiled reader into a fresh matrix. */
export function read(v: LoadedVersion, input: RowsInput, n: number): NumericMatrix {
  if (!v.reader) {
    throw new ValidationFailed(`version ${v.version} is not a tabular model; call the Open Inference Protocol route /v2/models/${v.model}/infer`, {});
  }
  if (input.matrix) {
    if (input.matrix.width !== v.width) {
      throw new ValidationFailed(`version ${v.version} takes ${v.width} features per row, the request has ${input.matrix.width}`, {
        expected_width: v.width,
        width: input.matrix.width,
      });
    }
    if (input.matrix.data instanceof Float64Array === v.float64) return input.matrix.data;
    const copy = v.allocate(n);
    copy.set(input.matrix.data);
    return copy;
  }
  const data = v.allocate(n);
  if (input.instances) v.reader.readInstances(input.instances, data);
  else v.reader.readInputs(input.inputs!, data);
  return data;
}

export function sameFeatures(a: LoadedVersion, b: LoadedVersion): boolean {
  if (a.float64 !== b.float64 || a.width !== b.width) return false;
  const fa = a.spec.featureNames;
  const fb = b.spec.featureNames;
  for (let i = 0; i < fa.length; i++) if (fa[i] !== fb[i]) return false;
  return true;
}

/**
 * What telemetry keeps of a row beyond score and label: a JSON document
 * only for what they cannot hold (multiclass probabilities, extra outputs).
 * A binary row's probabilities are 1 - score and score, so the common case
 * allocates nothing.
 */
export function extraOutputs(row: DecodedRow, multiclass: boolean): unknown {
  if (!multiclass && row.outputs === undefined) return undefined;
  return {
    ...(multiclass && row.probabilities ? { probabilities: row.probabilities } : {}),
    ...(row.outputs ? { outputs: row.outputs } : {}),
  };
}
