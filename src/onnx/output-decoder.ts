import type { Tensor } from 'onnxruntime-node';
import { isFloatDatatype } from './datatypes.js';
import type { ModelSignature, ModelTask, ScoreOutput, TensorSpec } from './model-signature.js';
import { InvalidOnnxModel } from './onnx.errors.js';
import { tensorRowValue } from './v2-tensors.js';

/** Which output (and column of it) a value is read from. */
export interface OutputColumn {
  output: string;
  column: number;
}

/**
 * What a version's outputs mean for its task, decided once when the version
 * is registered or loaded, so decoding a row is only reads.
 */
export interface OutputInterpretation {
  task: ModelTask;
  /** Integer or string labels, [N] or [N, 1]. */
  label?: string;
  /** Float [N, C] class probabilities; `classes` is -1 when the graph leaves C open. */
  probabilities?: { output: string; classes: number };
  /** Binary: the positive-class score. */
  score?: OutputColumn;
  /** Regression: the predicted value. */
  value?: OutputColumn;
  /** Outputs with a batch dimension not used above, returned per row under `outputs`. */
  extras: string[];
}

export interface DecodedRow {
  label?: number | string;
  score?: number;
  /** Keyed by class index: "0", "1", ... */
  probabilities?: Record<string, number>;
  value?: number;
  outputs?: Record<string, unknown>;
}

export type InferenceResults = Record<string, Tensor>;

const isLabel = (o: TensorSpec) =>
  (o.datatype === 'INT64' || o.datatype === 'INT32' || o.datatype === 'BYTES') &&
  (o.shape.length === 1 || (o.shape.length === 2 && o.shape[1] === 1));
const isFloatVector = (o: TensorSpec) => isFloatDatatype(o.datatype) && (o.shape.length === 1 || (o.shape.length === 2 && o.shape[1] === 1));
const isFloatMatrix = (o: TensorSpec) => isFloatDatatype(o.datatype) && o.shape.length === 2 && o.shape[1] !== 1;

/** Decides which outputs mean what for `task`; refuses (InvalidOnnxModel) outputs that cannot serve it. */
export function interpretOutputs(task: ModelTask, signature: ModelSignature, scoreOutput?: ScoreOutput): OutputInterpretation {
  const outputs = signature.outputs;
  const listed = outputs.map((o) => `${o.name} ${o.datatype} ${JSON.stringify(o.shape)}`).join(', ') || 'none';
  const unfit = (message: string) => new InvalidOnnxModel(`${message} (outputs: ${listed})`, 'outputs_unfit_for_task', { task });
  const chosen = scoreOutput ? columnOf(scoreOutput, outputs, listed) : undefined;
  const interp: OutputInterpretation = { task, extras: [] };

  if (task === 'tensor') {
    if (scoreOutput) throw new InvalidOnnxModel('score_output does not apply to a tensor model: its outputs are returned as they are', 'bad_score_output', { score_output: scoreOutput });
    // Every output with a batch dimension comes back per row, by name.
    interp.extras = outputs.filter((o) => o.shape.length >= 1).map((o) => o.name);
    return interp;
  }
  if (task === 'regression') {
    const first = outputs.find(isFloatVector);
    if (!chosen && !first) {
      throw unfit('a regression model needs a float output of shape [N] or [N, 1], or a score_output naming the output and column to use');
    }
    interp.value = chosen ?? { output: first!.name, column: 0 };
  } else {
    interp.label = outputs.find(isLabel)?.name;
    const probs = outputs.find(isFloatMatrix);
    if (probs) interp.probabilities = { output: probs.name, classes: probs.shape[1] };
    if (task === 'multiclass_classification') {
      if (scoreOutput) {
        throw new InvalidOnnxModel('score_output applies to binary classifiers and regression models, not to multiclass classifiers', 'bad_score_output', {
          score_output: scoreOutput,
        });
      }
      if (!probs) throw unfit('a multiclass classifier needs a float probability output of shape [N, classes]');
    } else if (chosen) {
      interp.score = chosen;
    } else if (probs) {
      if (probs.shape[1] !== 2 && probs.shape[1] !== -1) {
        throw unfit(`the probability output "${probs.name}" of a binary classifier has ${probs.shape[1]} columns, not 2; set score_output to pick the positive class`);
      }
      interp.score = { output: probs.name, column: 1 };
    } else {
      const single = outputs.find(isFloatVector);
      if (!single) throw unfit('a binary classifier needs a float probability output [N, 2] or a float score output [N] / [N, 1]');
      interp.score = { output: single.name, column: 0 };
    }
  }

  const used = new Set([interp.label, interp.probabilities?.output, interp.score?.output, interp.value?.output]);
  interp.extras = outputs.filter((o) => !used.has(o.name) && o.shape.length >= 1 && o.shape[0] === -1).map((o) => o.name);
  return interp;
}

function columnOf(s: ScoreOutput, outputs: TensorSpec[], listed: string): OutputColumn {
  const bad = (message: string) => new InvalidOnnxModel(message, 'bad_score_output', { score_output: s });
  const o = outputs.find((x) => x.name === s.output);
  if (!o) throw bad(`score_output names the output "${s.output}", which the model does not have (outputs: ${listed})`);
  if (!isFloatDatatype(o.datatype)) throw bad(`score_output "${s.output}" is ${o.datatype}; a score must be a float (FP32 or FP64) output`);
  if (o.shape.length !== 1 && o.shape.length !== 2) {
    throw bad(`score_output "${s.output}" has shape ${JSON.stringify(o.shape)}; expected [N] or [N, columns]`);
  }
  const width = o.shape.length === 1 ? 1 : o.shape[1];
  const column = s.column ?? (width === 1 ? 0 : 1);
  if (!Number.isInteger(column) || column < 0 || (width !== -1 && column >= width)) {
    throw bad(`score_output column ${column} does not exist: output "${s.output}" has ${width} column${width === 1 ? '' : 's'}`);
  }
  return { output: o.name, column };
}

type Floats = Float32Array | Float64Array;

/** The typed arrays of one inference's outputs, resolved once per decode call. */
class Bound {
  readonly labels?: { at: (row: number) => number | string };
  readonly probs?: Floats;
  readonly classes: number;
  readonly main?: { data: Floats; stride: number; column: number };

  constructor(
    readonly interp: OutputInterpretation,
    readonly results: InferenceResults,
  ) {
    if (interp.label) this.labels = { at: labelReader(tensor(results, interp.label)) };
    this.classes = 0;
    if (interp.probabilities) {
      const t = tensor(results, interp.probabilities.output);
      this.probs = t.data as Floats;
      this.classes = t.dims[1] ?? 1;
    }
    const col = interp.score ?? interp.value;
    if (col) {
      const t = tensor(results, col.output);
      const stride = t.dims.length >= 2 ? t.dims[1] : 1;
      if (col.column >= stride) throw new Error(`output "${col.output}" has ${stride} columns; column ${col.column} was expected`);
      this.main = { data: t.data as Floats, stride, column: col.column };
    }
  }

  mainAt(row: number): number {
    const m = this.main!;
    return m.data[row * m.stride + m.column];
  }

  argmax(row: number): number {
    const p = this.probs!;
    const base = row * this.classes;
    let best = 0;
    for (let c = 1; c < this.classes; c++) if (p[base + c] > p[base + best]) best = c;
    return best;
  }

  probabilitiesAt(row: number): Record<string, number> {
    const p = this.probs!;
    const base = row * this.classes;
    if (this.classes === 2) return { 0: p[base], 1: p[base + 1] };
    const out: Record<string, number> = {};
    for (let c = 0; c < this.classes; c++) out[c] = p[base + c];
    return out;
  }
}

/**
 * Decodes rows `rowOffset .. rowOffset + rowCount - 1` of one inference's
 * results: one micro-batched run serves several callers, each decoding only
 * its own slice.
 */
export function decodeRows(interp: OutputInterpretation, results: InferenceResults, rowOffset: number, rowCount: number): DecodedRow[] {
  const b = new Bound(interp, results);
  const rows = new Array<DecodedRow>(rowCount);
  const end = rowOffset + rowCount;
  for (let r = rowOffset, i = 0; r < end; r++, i++) {
    let row: DecodedRow;
    if (interp.task === 'tensor') {
      row = {};
    } else if (interp.task === 'regression') {
      row = { value: b.mainAt(r) };
    } else if (interp.task === 'binary_classification') {
      const score = b.mainAt(r);
      row = {
        label: b.labels ? b.labels.at(r) : b.probs ? b.argmax(r) : score >= 0.5 ? 1 : 0,
        score,
        probabilities: b.probs ? b.probabilitiesAt(r) : { 0: 1 - score, 1: score },
      };
    } else {
      row = { label: b.labels ? b.labels.at(r) : b.argmax(r), probabilities: b.probabilitiesAt(r) };
    }
    if (interp.extras.length) row.outputs = extrasAt(interp.extras, results, r);
    rows[i] = row;
  }
  return rows;
}

/**
 * One number per row for the prediction baseline and drift: the positive
 * score (binary), the value (regression) or the predicted class index
 * (multiclass, the argmax of the probabilities).
 */
export function scoresOf(interp: OutputInterpretation, results: InferenceResults, rows: number): Float64Array {
  if (interp.task === 'tensor') throw new Error('a tensor model has no score');
  const b = new Bound(interp, results);
  const out = new Float64Array(rows);
  if (interp.task === 'multiclass_classification') for (let r = 0; r < rows; r++) out[r] = b.argmax(r);
  else for (let r = 0; r < rows; r++) out[r] = b.mainAt(r);
  return out;
}

/** The same number for one row, for telemetry recorded beside live predictions. */
export function scoreAt(interp: OutputInterpretation, results: InferenceResults, row: number): number {
  if (interp.task === 'tensor') return Number.NaN;
  const b = new Bound(interp, results);
  return interp.task === 'multiclass_classification' ? b.argmax(row) : b.mainAt(row);
}

function tensor(results: InferenceResults, name: string): Tensor {
  const t = results[name];
  if (!t) throw new Error(`the inference returned no output "${name}"`);
  return t;
}

function labelReader(t: Tensor): (row: number) => number | string {
  const data = t.data;
  if (data instanceof BigInt64Array) {
    const lo = new Uint32Array(data.buffer, data.byteOffset, data.length * 2);
    const hi = new Int32Array(data.buffer, data.byteOffset, data.length * 2);
    // Exact for labels within ±2^53, which class labels are.
    return (row) => hi[2 * row + 1] * 4294967296 + lo[2 * row];
  }
  if (Array.isArray(data)) return (row) => data[row] as string;
  return (row) => (data as Int32Array)[row];
}

function extrasAt(names: string[], results: InferenceResults, row: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const t = results[name];
    if (t && t.dims.length >= 1 && row < t.dims[0]) out[name] = tensorRowValue(t, row);
  }
  return out;
}
