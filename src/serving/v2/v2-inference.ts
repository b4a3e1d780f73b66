import { Injectable } from '@nestjs/common';
import ort from 'onnxruntime-node';
import { ValidationFailed } from '../../common/errors.js';
import type { Protocol } from '../../metrics/metrics.js';
import type { TensorSpec } from '../../onnx/model-signature.js';
import { tensorFromV2, type V2InputTensor } from '../../onnx/v2-tensors.js';
import type { InferenceResults, LoadedVersion } from '../loaded-version.js';
import { ModelRuntime } from '../model-runtime.js';
import { type Choice, type InferenceFeeds, PredictionService } from '../prediction.service.js';
import { NoVersionAvailable } from '../serving.errors.js';
import type { InferRequest, RequestedOutput } from './infer-request.js';

export interface InferOutcome {
  model: string;
  version: number;
  variant: string;
  fallback: boolean;
  predictionIds: string[];
  outputs: { name: string; tensor: ort.Tensor; binary: boolean; classification: number }[];
}

/**
 * The Open Inference Protocol's inference, shared by V2 REST and gRPC: a
 * request whose inputs are a tabular version's features becomes a feature
 * matrix for the prediction core (micro-batching, fallback, telemetry);
 * any other request runs as tensors through the core's tensor path (the
 * same routing, breaker, fallback, row limit, metrics and telemetry).
 */
@Injectable()
export class V2Inference {
  constructor(
    private readonly predictions: PredictionService,
    private readonly runtime: ModelRuntime,
  ) {}

  async infer(name: string, choice: Choice, req: InferRequest, protocol: Protocol): Promise<InferOutcome> {
    const lv = await this.predictions.loadedFor(name, choice);
    // A routed version that is not loaded may still be answered by the
    // fallback: check the request against whichever version will take it.
    const reader = lv ?? (choice.fallback !== undefined ? this.runtime.get(name, choice.fallback) : undefined);
    if (!reader) throw new NoVersionAvailable(name, [{ version: choice.version, reason: 'not loaded' }]);
    // Requested outputs are checked before anything runs: an unknown name is the caller's mistake.
    const wanted = outputsOf(reader, req);

    // A generic tensor model (task `tensor`) has no rows to decode: always the tensor path.
    if (reader.tabular && (reader.task as string) !== 'tensor') {
      const matrix = featureMatrix(reader, req.inputs);
      const out = await this.predictions.run(name, choice, { matrix }, protocol);
      const outputs = pick(out.served, out.results, wanted, (t) => sliceRows(t, out.offset, matrix.rows));
      return {
        model: name,
        version: out.served.version,
        variant: out.answer.variant,
        fallback: out.answer.fallback,
        predictionIds: out.answer.predictions.map((p) => p.prediction_id),
        outputs,
      };
    }
    const out = await this.predictions.runTensors(name, choice, { feedsFor: (v) => tensorFeeds(v, req.inputs) }, protocol);
    return {
      model: name,
      version: out.served.version,
      variant: out.variant,
      fallback: out.fallback,
      predictionIds: out.predictionIds,
      outputs: pick(out.served, out.results, wanted, (t) => t),
    };
  }
}

function outputsOf(v: LoadedVersion, req: InferRequest): RequestedOutput[] {
  const names = new Set(v.spec.signature.outputs.map((o) => o.name));
  if (!req.outputs) return [...names].map((name) => ({ name, binary: req.binaryOutput, classification: req.classification }));
  for (const o of req.outputs) {
    if (!names.has(o.name)) throw new ValidationFailed(`the model has no output "${o.name}"; its outputs are ${[...names].join(', ')}`, { output: o.name });
  }
  return req.outputs;
}

function pick(served: LoadedVersion, results: InferenceResults, wanted: RequestedOutput[], shape: (t: ort.Tensor) => ort.Tensor) {
  return wanted.map((o) => {
    // Own properties only: an output named `toString` must not find Object.prototype's.
    const t = Object.hasOwn(results, o.name) ? results[o.name] : undefined;
    if (!t) throw new ValidationFailed(`version ${served.version} has no output "${o.name}"`, { output: o.name });
    return { ...o, tensor: shape(t) };
  });
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
function featureMatrix(v: LoadedVersion, inputs: V2InputTensor[]) {
  const layout = v.layout!;
  const specs = layout.kind === 'matrix' ? [layout.input] : layout.inputs;
  unknownInputs(specs, inputs);
  const given = byName(inputs);
  if (layout.kind === 'matrix') {
    const t = tensorFromV2(required(layout.input, given), layout.input);
    const data = t.data instanceof Float32Array || t.data instanceof Float64Array ? t.data : Float64Array.from(t.data as ArrayLike<number | bigint>, Number);
    return { data, rows: t.dims[0], width: layout.width };
  }
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
