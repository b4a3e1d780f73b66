import { ValidationFailed } from '../../common/errors.js';
import { parseJsonBody } from '../../common/json-body-parser.js';
import type { V2InputTensor } from '../../onnx/v2-tensors.js';

export type Scalar = string | number | boolean;

export interface RequestedOutput {
  name: string;
  /** Answer this output as binary data (`parameters.binary_data`, else the request's `binary_data_output`). */
  binary: boolean;
  /** Top-K classes (`parameters.classification`), 0 for the raw tensor. */
  classification: number;
}

export interface InferRequest {
  id?: string;
  parameters: Record<string, unknown>;
  inputs: V2InputTensor[];
  /** Undefined: every output of the model. */
  outputs?: RequestedOutput[];
  /** `parameters.binary_data_output`: the default for outputs not listed by name. */
  binaryOutput: boolean;
  /** `parameters.classification` on the request: applies to every output not listed. */
  classification: number;
  /** `parameters.explain_features`: answer the extra `features` output (each row's looked-up features as served). */
  explainFeatures: boolean;
  /** The top-level fields of the JSON (or JSON header), where a `field:` sticky key may sit. */
  fields: Record<string, unknown>;
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * Reads an Open Inference Protocol infer request: a JSON document, or (the
 * binary tensor data extension) a JSON header of `headerLength` bytes followed
 * by each binary input's bytes in input order, sized by its
 * `parameters.binary_data_size`. Every structural problem is the caller's
 * (400): a `null` beside valid inputs, a name used twice, sizes that do not
 * add up to the body.
 */
export function parseInferRequest(body: unknown, headerLength: string | string[] | undefined): InferRequest {
  let doc: unknown = body;
  let binary: Buffer | undefined;
  if (Buffer.isBuffer(body)) {
    let jsonEnd = body.length;
    if (headerLength !== undefined) {
      const n = Number(Array.isArray(headerLength) ? headerLength[0] : headerLength);
      if (!Number.isSafeInteger(n) || n < 0 || n > body.length) {
        throw new ValidationFailed(`Inference-Header-Content-Length must be an integer between 0 and the body's ${body.length} bytes`, {
          header: 'inference-header-content-length',
        });
      }
      jsonEnd = n;
      binary = body.subarray(n);
    }
    doc = parseJsonBody(body.toString('utf8', 0, jsonEnd));
  } else if (body === undefined) {
    throw new ValidationFailed('the body must be a JSON object with "inputs"', { field: 'body' });
  }
  if (!isObject(doc)) throw new ValidationFailed('the body must be a JSON object with "inputs"', { field: 'body' });

  const { id, parameters = {}, inputs, outputs } = doc;
  if (id !== undefined && typeof id !== 'string') throw new ValidationFailed('"id" must be a string', { field: 'id' });
  if (!isObject(parameters)) throw new ValidationFailed('"parameters" must be an object', { field: 'parameters' });
  if (!Array.isArray(inputs) || inputs.length === 0) throw new ValidationFailed('"inputs" must be a non-empty array of tensors', { field: 'inputs' });

  const seen = new Set<string>();
  let at = 0;
  const parsed: V2InputTensor[] = inputs.map((input, i) => {
    if (!isObject(input)) throw new ValidationFailed(`inputs[${i}] must be a tensor object, not ${input === null ? 'null' : typeof input}`, { field: `inputs[${i}]` });
    const name = input.name;
    if (typeof name !== 'string' || name.length === 0) throw new ValidationFailed(`inputs[${i}].name must be a non-empty string`, { field: `inputs[${i}].name` });
    if (seen.has(name)) throw new ValidationFailed(`input "${name}" is given twice`, { input: name });
    seen.add(name);
    const p = input.parameters;
    if (p !== undefined && !isObject(p)) throw new ValidationFailed(`input "${name}": parameters must be an object`, { input: name });
    const size = p?.binary_data_size;
    if (size === undefined) {
      if (!Array.isArray(input.data)) throw new ValidationFailed(`input "${name}": data must be an array (or the tensor sent as binary data with parameters.binary_data_size)`, { input: name });
      return { name, shape: input.shape, datatype: input.datatype, data: input.data };
    }
    if (!Number.isSafeInteger(size) || (size as number) < 0) throw new ValidationFailed(`input "${name}": binary_data_size must be a non-negative integer`, { input: name });
    if (!binary || at + (size as number) > binary.length) {
      throw new ValidationFailed(`input "${name}": binary_data_size ${size} runs past the binary data after the JSON header`, { input: name });
    }
    const raw = binary.subarray(at, at + (size as number));
    at += size as number;
    return { name, shape: input.shape, datatype: input.datatype, raw };
  });
  if (binary && at !== binary.length) {
    throw new ValidationFailed(`the body has ${binary.length - at} bytes of binary data no input claims`, { field: 'body' });
  }

  const binaryOutput = flag(parameters.binary_data_output, 'parameters.binary_data_output');
  const explainFeatures = explainFlag(parameters.explain_features);
  const classification = classCount(parameters.classification, 'parameters.classification');
  let requested: RequestedOutput[] | undefined;
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) throw new ValidationFailed('"outputs" must be an array of {"name": ...}', { field: 'outputs' });
    const names = new Set<string>();
    requested = outputs.map((o, i) => {
      if (!isObject(o) || typeof o.name !== 'string') throw new ValidationFailed('"outputs" must be an array of {"name": ...}', { field: `outputs[${i}]` });
      if (names.has(o.name)) throw new ValidationFailed(`output "${o.name}" is requested twice`, { output: o.name });
      names.add(o.name);
      const op = o.parameters;
      if (op !== undefined && !isObject(op)) throw new ValidationFailed(`output "${o.name}": parameters must be an object`, { output: o.name });
      return {
        name: o.name,
        binary: op?.binary_data === undefined ? binaryOutput : flag(op.binary_data, `outputs[${i}].parameters.binary_data`),
        classification: op?.classification === undefined ? classification : classCount(op.classification, `outputs[${i}].parameters.classification`),
      };
    });
  }
  return { id, parameters, inputs: parsed, outputs: requested, binaryOutput, classification, explainFeatures, fields: doc };
}

/**
 * The request-level parameter `explain_features`: a bool, or the strings
 * "true" and "false" (clients that send every parameter as a string; over
 * gRPC a `string_param`). Anything else is the caller's mistake.
 */
export function explainFlag(v: unknown): boolean {
  if (v === undefined || v === false || v === 'false') return false;
  if (v === true || v === 'true') return true;
  throw new ValidationFailed('parameters.explain_features must be true or false', { field: 'parameters.explain_features' });
}

function flag(v: unknown, field: string): boolean {
  if (v === undefined) return false;
  if (typeof v !== 'boolean') throw new ValidationFailed(`${field} must be true or false`, { field });
  return v;
}

function classCount(v: unknown, field: string): number {
  if (v === undefined) return 0;
  if (!Number.isSafeInteger(v) || (v as number) < 0) throw new ValidationFailed(`${field} must be a non-negative integer (the number of top classes)`, { field });
  return v as number;
}
