import ort from 'onnxruntime-node';
import { ValidationFailed } from '../../common/errors.js';
import type { TensorSpec } from '../../onnx/model-signature.js';
import { tensorFromV2, type V2InputTensor } from '../../onnx/v2-tensors.js';
import type { InferenceFeeds, InferOutcome, MatrixRows, TensorPayload } from '../inference-payload.js';
import type { InferenceResults, LoadedVersion } from '../loaded-version.js';
import { explanationTensor, FEATURES_OUTPUT } from './feature-explanation.js';
import type { InferRequest, RequestedOutput } from './infer-request.js';
import { namedRows } from './oip-named-rows.js';

/** One output of an Open Inference Protocol answer, as the V2 REST and gRPC encoders take it. */
export type V2Output = RequestedOutput & { tensor: ort.Tensor };

/** What V2 REST and gRPC answer beside the outputs. */
export interface V2Answer {
  model: string;
  version: number;
  variant: string;
  fallback: boolean;
  predictionIds: string[];
  outputs: V2Output[];
}

/**
 * An Open Inference Protocol request as the core's tensor payload: for a
 * tabular version its inputs become that version's feature matrix (by
 * input name, so each version gets its own feature order); for any other
 * its inputs become feeds checked against its signature. The requested
 * outputs are checked against the version about to answer, before it runs:
 * an unknown name is the caller's mistake.
 */
export class OipPayload implements TensorPayload {
  readonly tensors = true as const;
  /** `parameters.explain_features`: the core keeps each row's looked-up features for the `features` output. */
  readonly explainFeatures: boolean;
  /** The outputs the last checked version answers with: the version that answered, once the core is done. */
  private checked?: { v: LoadedVersion; wanted: RequestedOutput[] };

  constructor(readonly req: InferRequest) {
    this.explainFeatures = req.explainFeatures;
  }

  check(v: LoadedVersion): void {
    this.checked = { v, wanted: outputsOf(v, this.req) };
  }

  matrixFor(v: LoadedVersion): MatrixRows {
    return featureMatrix(v, this.req.inputs);
  }

  feedsFor(v: LoadedVersion): { feeds: InferenceFeeds; rows: number } {
    return tensorFeeds(v, this.req.inputs);
  }

  namedRows(v: LoadedVersion, entities: readonly string[]): Record<string, unknown>[] | undefined {
    return namedRows(this.req.inputs, entities, v.spec.featureNames);
  }

  /** The requested outputs of version `v` (checked once per version). */
  outputsFor(v: LoadedVersion): RequestedOutput[] {
    return this.checked?.v === v ? this.checked.wanted : outputsOf(v, this.req);
  }
}

/**
 * The protocol's answer from the core's: the requested outputs, cut to this
 * request's rows when it shared a micro-batch, and last, when the request
 * asked `explain_features` and the core filled its rows, the `features`
 * output (binary as `outputs` names it, else as `binary_data_output` says).
 */
export function v2Answer(out: InferOutcome, payload: OipPayload): V2Answer {
  const a = out.answer;
  const wanted = payload.outputsFor(out.served);
  const outputs = pick(out.served, out.results, wanted, out.batched ? out.offset : -1, out.rows);
  const predictionIds = new Array<string>(a.predictions.length);
  for (let i = 0; i < predictionIds.length; i++) predictionIds[i] = a.predictions[i].prediction_id;
  const explained = payload.explainFeatures ? explanationTensor(a.predictions) : undefined;
  if (explained) {
    const req = payload.req;
    const binary = req.outputs?.find((o) => o.name === FEATURES_OUTPUT)?.binary ?? req.binaryOutput;
    outputs.push({ name: FEATURES_OUTPUT, binary, classification: 0, tensor: explained });
  }
  return { model: a.model, version: a.version, variant: a.variant, fallback: a.fallback, predictionIds, outputs };
}

/** The outputs a request wants from version `v`: see `wantedOutputs`. */
export function outputsOf(v: LoadedVersion, req: InferRequest): RequestedOutput[] {
  return wantedOutputs(v.version, v.spec.signature.outputs.map((o) => o.name), v.spec.onlineFeatures != null, req);
}

/**
 * The model outputs a request wants from a version with these output names
 * (every one when it names none). With `explain_features`, `outputs` may
 * name `features` (for its `binary_data`), which is the explanation, not the
 * model's; a version that looks features up and has its own output of that
 * name cannot answer both, which is said before it runs.
 */
export function wantedOutputs(version: number, outputNames: readonly string[], looksUp: boolean, req: InferRequest): RequestedOutput[] {
  const names = new Set(outputNames);
  if (req.explainFeatures && looksUp && names.has(FEATURES_OUTPUT)) {
    throw new ValidationFailed(`version ${version} has its own output "${FEATURES_OUTPUT}", so explain_features cannot answer its explanation under that name`, {
      field: 'parameters.explain_features',
    });
  }
  if (!req.outputs) return [...names].map((name) => ({ name, binary: req.binaryOutput, classification: req.classification }));
  const explanation = req.explainFeatures && !names.has(FEATURES_OUTPUT);
  for (const o of req.outputs) {
    if (!names.has(o.name) && !(explanation && o.name === FEATURES_OUTPUT)) {
      throw new ValidationFailed(`the model has no output "${o.name}"; its outputs are ${[...names].join(', ')}`, { output: o.name });
    }
  }
  return explanation ? req.outputs.filter((o) => o.name !== FEATURES_OUTPUT) : req.outputs;
}

/**
 * The wanted outputs with their tensors, cut to rows [offset, offset + rows)
 * when the request shared a micro-batch (`offset` -1: it did not). Built
 * field by field: a spread of each output was a tenth of the V2 answer's cost.
 */
function pick(served: LoadedVersion, results: InferenceResults, wanted: RequestedOutput[], offset: number, rows: number): V2Output[] {
  const outputs = new Array<V2Output>(wanted.length);
  for (let i = 0; i < wanted.length; i++) {
    const o = wanted[i];
    // Own properties only: an output named `toString` must not find Object.prototype's.
    const t = Object.hasOwn(results, o.name) ? results[o.name] : undefined;
    if (!t) throw new ValidationFailed(`version ${served.version} has no output "${o.name}"`, { output: o.name });
    outputs[i] = { name: o.name, binary: o.binary, classification: o.classification, tensor: offset < 0 ? t : sliceRows(t, offset, rows) };
  }
  return outputs;
}

function byName(inputs: V2InputTensor[]): Map<string, V2InputTensor> {
  return new Map(inputs.map((i) => [i.name, i]));
}

function unknownInputs(specs: readonly TensorSpec[], inputs: V2InputTensor[]): void {
  const known = new Set(specs.map((s) => s.name));
  for (const i of inputs) {
    if (!known.has(i.name)) {
      throw new ValidationFailed(`the model has no input "${i.name}"; its inputs are ${[...known].join(', ')}`, { input: i.name });
    }
  }
}

function required(spec: TensorSpec, given: Map<string, V2InputTensor>): V2InputTensor {
  const i = given.get(spec.name);
  if (!i) throw new ValidationFailed(`input "${spec.name}" is required`, { input: spec.name });
  return i;
}

/** Feeds for a non-tabular version: exactly its inputs, each checked against its spec; rows from the first dimension. */
function tensorFeeds(v: LoadedVersion, inputs: V2InputTensor[]): { feeds: InferenceFeeds; rows: number } {
  const specs = v.spec.signature.inputs;
  unknownInputs(specs, inputs);
  const given = byName(inputs);
  const feeds: InferenceFeeds = {};
  let rows = 1;
  for (const [k, spec] of specs.entries()) {
    const t = tensorFromV2(required(spec, given), spec);
    feeds[spec.name] = t;
    if (k === 0 && t.dims.length > 0) rows = t.dims[0];
  }
  return { feeds, rows };
}

/**
 * A tabular version's features as one row-major matrix: its one [N, F]
 * input, or its [N, 1] inputs (one per feature) joined in feature order.
 */
function featureMatrix(v: LoadedVersion, inputs: V2InputTensor[]): MatrixRows {
  const layout = v.layout!;
  if (layout.kind === 'matrix') {
    // Its one input given alone (every request in practice): no set of known names, no map by name.
    const only = inputs.length === 1 && inputs[0].name === layout.input.name ? inputs[0] : undefined;
    if (!only) unknownInputs([layout.input], inputs);
    const t = tensorFromV2(only ?? required(layout.input, byName(inputs)), layout.input);
    const data = t.data instanceof Float32Array || t.data instanceof Float64Array ? t.data : Float64Array.from(t.data as ArrayLike<number | bigint>, Number);
    return { data, rows: t.dims[0], width: layout.width };
  }
  const specs = layout.inputs;
  unknownInputs(specs, inputs);
  const given = byName(inputs);
  const width = specs.length;
  const columns = specs.map((spec) => tensorFromV2(required(spec, given), spec));
  const rows = columns[0].dims[0];
  const bad = columns.find((c) => c.dims[0] !== rows);
  if (bad) throw new ValidationFailed(`every input must have the same number of rows (${rows}); one has ${bad.dims[0]}`, { rows });
  const data = new Float64Array(rows * width);
  columns.forEach((c, f) => {
    const values = c.data as ArrayLike<number | bigint>;
    for (let r = 0; r < rows; r++) data[r * width + f] = Number(values[r]);
  });
  return { data, rows, width };
}

function sliceRows(t: ort.Tensor, offset: number, rows: number): ort.Tensor {
  if (t.dims.length === 0 || (offset === 0 && t.dims[0] === rows)) return t;
  let inner = 1;
  for (let i = 1; i < t.dims.length; i++) inner *= t.dims[i];
  const data = t.data as any;
  const part = typeof data.subarray === 'function' ? data.subarray(offset * inner, (offset + rows) * inner) : data.slice(offset * inner, (offset + rows) * inner);
  return new ort.Tensor(t.type as any, part, [rows, ...t.dims.slice(1)]);
}
