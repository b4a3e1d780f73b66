import ort from 'onnxruntime-node';
import { ValidationFailed } from '../../common/errors.js';
import { v2DatatypeOf } from '../../onnx/datatypes.js';
import { tensorToRaw } from '../../onnx/v2-binary.js';
import { tensorToV2 } from '../../onnx/v2-tensors.js';
import type { Scalar } from './infer-request.js';

export interface AnswerOutput {
  name: string;
  tensor: ort.Tensor;
  binary: boolean;
  classification: number;
}

export interface InferAnswer {
  model_name: string;
  model_version: string;
  id?: string;
  parameters: Record<string, Scalar>;
  outputs: unknown[];
}

/** The answer's JSON header and, when any output is binary, the bytes that follow it, in output order. */
export interface EncodedAnswer {
  header: InferAnswer;
  binary: Buffer[];
}

export function encodeAnswer(head: Omit<InferAnswer, 'outputs'>, outputs: AnswerOutput[]): EncodedAnswer {
  const binary: Buffer[] = [];
  const tensors = new Array<unknown>(outputs.length);
  for (let i = 0; i < outputs.length; i++) {
    const o = outputs[i];
    const t = o.classification > 0 ? classify(o.name, o.tensor, o.classification) : o.tensor;
    if (!o.binary) {
      tensors[i] = tensorToV2(o.name, t);
      continue;
    }
    const raw = tensorToRaw(t);
    const datatype = v2DatatypeOf(t.type);
    if (!datatype) throw new Error(`output "${o.name}" has the element type ${t.type}, which the Open Inference Protocol cannot carry`);
    binary.push(raw);
    tensors[i] = { name: o.name, shape: t.dims.slice(), datatype, parameters: { binary_data_size: raw.length } };
  }
  return { header: { ...head, outputs: tensors }, binary };
}

/**
 * The classification extension: each row's top `k` classes, best first, as
 * BYTES `"value:index"`; a [C] tensor gives [k], an [N, C] tensor [N, k].
 */
export function classify(name: string, t: ort.Tensor, k: number): ort.Tensor {
  const data = t.data;
  if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array || data instanceof Uint8Array || data instanceof Int8Array)) {
    throw new ValidationFailed(`output "${name}" is ${t.type}; classification needs a numeric output of class scores`, { output: name });
  }
  if (t.dims.length === 0 || t.dims.length > 2) {
    throw new ValidationFailed(`output "${name}" has shape ${JSON.stringify(t.dims)}; classification needs [classes] or [N, classes]`, { output: name });
  }
  const classes = t.dims[t.dims.length - 1];
  const rows = t.dims.length === 2 ? t.dims[0] : 1;
  const top = Math.min(k, classes);
  const out: string[] = [];
  const order = Array.from({ length: classes }, (_, i) => i);
  for (let r = 0; r < rows; r++) {
    const base = r * classes;
    // Stable on ties: the lower class index first.
    order.sort((a, b) => data[base + b] - data[base + a] || a - b);
    for (let j = 0; j < top; j++) out.push(`${data[base + order[j]]}:${order[j]}`);
  }
  return new ort.Tensor('string', out, t.dims.length === 2 ? [rows, top] : [top]);
}

/** An infer answer as sent: its body, Content-Type and, when binary outputs follow the JSON, Inference-Header-Content-Length. */
export interface InferWire {
  body: Buffer;
  contentType: string;
  headerLength?: number;
}

/**
 * The wire form: JSON alone, or the JSON header then the binary outputs, with
 * the header's length; written into one buffer, not the header's own then a copy.
 */
export function answerBody(a: EncodedAnswer): InferWire {
  const text = JSON.stringify(a.header);
  if (a.binary.length === 0) return { body: Buffer.from(text), contentType: 'application/json' };
  const headerLength = Buffer.byteLength(text);
  let size = headerLength;
  for (const b of a.binary) size += b.length;
  const body = Buffer.allocUnsafe(size);
  body.write(text, 0);
  let at = headerLength;
  for (const b of a.binary) {
    body.set(b, at);
    at += b.length;
  }
  return { body, contentType: 'application/octet-stream', headerLength };
}
