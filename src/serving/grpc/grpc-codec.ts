import type ort from 'onnxruntime-node';
import { ValidationFailed } from '../../common/errors.js';
import { v2DatatypeOf } from '../../onnx/datatypes.js';
import { tensorToRaw } from '../../onnx/v2-binary.js';
import { tensorToV2, type V2InputTensor } from '../../onnx/v2-tensors.js';
import { explainFlag, type InferRequest, type RequestedOutput } from '../v2/infer-request.js';
import { classify } from '../v2/infer-response.js';
import type { V2Answer } from '../v2/oip-payload.js';

/** `InferParameter` as @grpc/proto-loader decodes it with `oneofs: true`. */
export interface GrpcParameter {
  parameter_choice?: 'bool_param' | 'int64_param' | 'string_param';
  bool_param?: boolean;
  int64_param?: number | string;
  string_param?: string;
}

type Contents = Partial<Record<'bool_contents' | 'int_contents' | 'int64_contents' | 'uint_contents' | 'uint64_contents' | 'fp32_contents' | 'fp64_contents' | 'bytes_contents', unknown[]>>;

export interface GrpcInferRequest {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, GrpcParameter>;
  inputs?: { name: string; datatype: string; shape: (number | string)[]; parameters?: Record<string, GrpcParameter>; contents?: Contents | null }[];
  outputs?: { name: string; parameters?: Record<string, GrpcParameter> }[];
  raw_input_contents?: Buffer[];
}

/** Which `InferTensorContents` field carries each datatype (FP16 has none: raw only). */
const CONTENTS_FIELD: Record<string, keyof Contents> = {
  BOOL: 'bool_contents',
  INT8: 'int_contents', INT16: 'int_contents', INT32: 'int_contents', INT64: 'int64_contents',
  UINT8: 'uint_contents', UINT16: 'uint_contents', UINT32: 'uint_contents', UINT64: 'uint64_contents',
  FP32: 'fp32_contents', FP64: 'fp64_contents', BYTES: 'bytes_contents',
};

export function parameterValue(p: GrpcParameter | undefined): string | number | boolean | undefined {
  if (!p?.parameter_choice) return undefined;
  const v = p[p.parameter_choice];
  return p.parameter_choice === 'int64_param' ? Number(v) : (v as string | boolean);
}

function scalars(params: Record<string, GrpcParameter> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(params ?? {})) out[k] = parameterValue(p);
  return out;
}

/**
 * A gRPC ModelInferRequest as the shared InferRequest: typed contents
 * become JSON-like data, `raw_input_contents[i]` the bytes of input i (the
 * same layout as the binary tensor data extension, BYTES length-prefixed).
 */
export function inferRequestFromGrpc(m: GrpcInferRequest): InferRequest {
  const inputs = m.inputs ?? [];
  if (inputs.length === 0) throw new ValidationFailed('"inputs" must be a non-empty list of tensors', { field: 'inputs' });
  const raw = m.raw_input_contents ?? [];
  if (raw.length && raw.length !== inputs.length) {
    throw new ValidationFailed(`raw_input_contents has ${raw.length} entries for ${inputs.length} inputs; give one per input or none`, { field: 'raw_input_contents' });
  }
  const seen = new Set<string>();
  const parsed: V2InputTensor[] = inputs.map((t, i) => {
    if (!t.name) throw new ValidationFailed(`inputs[${i}].name must be a non-empty string`, { field: `inputs[${i}].name` });
    if (seen.has(t.name)) throw new ValidationFailed(`input "${t.name}" is given twice`, { input: t.name });
    seen.add(t.name);
    const shape = t.shape.map(Number);
    if (raw.length) return { name: t.name, shape, datatype: t.datatype, raw: raw[i] };
    const field = CONTENTS_FIELD[t.datatype];
    if (!field) throw new ValidationFailed(`input "${t.name}": ${t.datatype} has no typed contents; send it in raw_input_contents`, { input: t.name });
    const values = t.contents?.[field] ?? [];
    // 64-bit contents arrive as decimal strings and keep every digit: straight into their element bytes.
    if (t.datatype === 'INT64' || t.datatype === 'UINT64') return { name: t.name, shape, datatype: t.datatype, raw: int64Bytes(t.name, t.datatype, values) };
    const data = t.datatype === 'BYTES' ? values.map((b) => Buffer.from(b as Uint8Array).toString('utf8')) : values.map((v) => (typeof v === 'string' ? Number(v) : v));
    return { name: t.name, shape, datatype: t.datatype, data };
  });
  const parameters = scalars(m.parameters);
  const classification = classCount(parameters.classification);
  const outputs: RequestedOutput[] | undefined = m.outputs?.length
    ? m.outputs.map((o) => ({ name: o.name, binary: false, classification: classCount(parameterValue(o.parameters?.classification)) || classification }))
    : undefined;
  const explainFeatures = explainFlag(parameters.explain_features);
  return { id: m.id || undefined, parameters, inputs: parsed, outputs, binaryOutput: false, classification, explainFeatures, fields: {} };
}

function int64Bytes(name: string, datatype: 'INT64' | 'UINT64', values: unknown[]): Uint8Array {
  const array = datatype === 'INT64' ? new BigInt64Array(values.length) : new BigUint64Array(values.length);
  const [lo, hi] = datatype === 'INT64' ? [-(2n ** 63n), 2n ** 63n - 1n] : [0n, 2n ** 64n - 1n];
  values.forEach((v, i) => {
    let b: bigint;
    try {
      b = BigInt(v as string);
    } catch {
      throw new ValidationFailed(`input "${name}": contents[${i}] is not an integer`, { input: name, index: i });
    }
    if (b < lo || b > hi) throw new ValidationFailed(`input "${name}": contents[${i}] ${b} is outside the ${datatype} range`, { input: name, index: i });
    array[i] = b;
  });
  return new Uint8Array(array.buffer);
}

function classCount(v: unknown): number {
  if (v === undefined) return 0;
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw new ValidationFailed('classification must be a non-negative integer', { field: 'classification' });
  return v as number;
}

/**
 * The ModelInferResponse. Raw outputs when the request sent raw inputs (as
 * Triton's and KServe's clients do for numpy arrays) or an output has no
 * typed field (FP16); typed contents otherwise. Prediction ids travel as
 * one comma-joined string parameter, as over REST.
 */
export function inferResponseToGrpc(out: V2Answer, id: string | undefined, rawRequested: boolean) {
  const tensors = out.outputs.map((o) => ({ name: o.name, tensor: o.classification > 0 ? classify(o.name, o.tensor, o.classification) : o.tensor }));
  const raw = rawRequested || tensors.some((t) => t.tensor.type === 'float16');
  const outputs = tensors.map(({ name, tensor }) => {
    const datatype = v2DatatypeOf(tensor.type);
    if (!datatype) throw new Error(`output "${name}" has the element type ${tensor.type}, which the Open Inference Protocol cannot carry`);
    const head = { name, datatype, shape: [...tensor.dims] };
    // Raw answers never convert the data to JavaScript values.
    if (raw) return head;
    return { ...head, contents: { [CONTENTS_FIELD[datatype]]: typedValues(datatype, tensor, tensorToV2(name, tensor).data) } };
  });
  return {
    model_name: out.model,
    model_version: String(out.version),
    id: id ?? '',
    parameters: {
      variant: { string_param: out.variant },
      fallback: { bool_param: out.fallback },
      prediction_ids: { string_param: out.predictionIds.join(',') },
    },
    outputs,
    raw_output_contents: raw ? tensors.map((t) => tensorToRaw(t.tensor)) : [],
  };
}

function typedValues(datatype: string, t: ort.Tensor, data: unknown[]): unknown[] {
  if (datatype === 'BYTES') return (t.data as string[]).map((s) => Buffer.from(s, 'utf8'));
  // 64-bit integers keep every digit as decimal strings, which protobuf.js encodes exactly.
  if (t.data instanceof BigInt64Array || t.data instanceof BigUint64Array) return Array.from(t.data, (v) => v.toString());
  return data;
}
