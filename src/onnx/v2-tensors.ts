import ort from 'onnxruntime-node';
import { ValidationFailed } from '../common/errors.js';
import { halfToNumber, Int64Writer, numberToHalf, ortTypeOf, v2DatatypeOf } from './datatypes.js';
import type { TensorSpec, V2Datatype } from './model-signature.js';
import { tensorFromRaw } from './v2-binary.js';

/** A tensor as the Open Inference Protocol (KServe V2) REST API writes it. */
export interface V2Tensor {
  name: string;
  shape: number[];
  datatype: V2Datatype;
  data: unknown[];
}

export interface V2InputTensor {
  name: string;
  shape: unknown;
  datatype: unknown;
  data?: unknown;
  /** The tensor's bytes when sent with the binary tensor data extension. */
  raw?: Uint8Array;
}

const INT_RANGE: Partial<Record<V2Datatype, [number, number]>> = {
  INT8: [-128, 127],
  INT16: [-32768, 32767],
  INT32: [-2147483648, 2147483647],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UINT8: [0, 255],
  UINT16: [0, 65535],
  UINT32: [0, 4294967295],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
};

/**
 * Converts one V2 request input to an onnxruntime tensor, checking it
 * against the model's input: datatype, shape (-1 in the spec matches any
 * size), `data` holding exactly product(shape) values (flat or nested per
 * the V2 spec) of the right JSON type. Errors name the input and the problem.
 */
export function tensorFromV2(input: V2InputTensor, spec: TensorSpec): ort.Tensor {
  const name = spec.name;
  const fail = (message: string, details: Record<string, unknown> = {}) =>
    new ValidationFailed(`input "${name}": ${message}`, { input: name, ...details });

  if (input.datatype !== spec.datatype) {
    throw fail(`datatype ${JSON.stringify(input.datatype)} does not match the model's ${spec.datatype}`, {
      expected_datatype: spec.datatype,
      datatype: input.datatype,
    });
  }
  const shape = input.shape;
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw fail('shape must be an array of non-negative integers', { shape });
  }
  const dims = shape as number[];
  const badDim = spec.shape.length !== dims.length || spec.shape.some((d, i) => d !== -1 && d !== dims[i]);
  if (badDim) {
    throw fail(`shape ${JSON.stringify(dims)} does not match the model's ${JSON.stringify(spec.shape)} (-1 is any size)`, {
      expected_shape: spec.shape,
      shape: dims,
    });
  }
  let count = 1;
  for (const d of dims) count *= d;
  if (input.raw) return tensorFromRaw(name, spec.datatype, dims, input.raw);
  if (!Array.isArray(input.data)) throw fail('data must be an array');

  const flat = flatNumbers(input.data, count, spec.datatype);
  if (flat) return new ort.Tensor(ortTypeOf(spec.datatype), flat as never, dims);

  // Counted before anything is allocated: the shape alone must not size a buffer.
  const leaves = countLeaves(input.data, 0, dims.length + 1);
  if (leaves < 0) throw fail('data is nested deeper than its shape');
  if (leaves !== count) throw fail(`data has ${leaves} values but shape ${JSON.stringify(dims)} needs ${count}`, { expected: count, got: leaves });

  const sink = sinkFor(spec.datatype, count);
  let n = 0;
  const walk = (arr: unknown[]) => {
    for (const v of arr) {
      if (Array.isArray(v)) {
        walk(v);
        continue;
      }
      const problem = sink.put(n, v);
      if (problem) throw fail(`data[${n}] ${problem}`, { index: n });
      n++;
    }
  };
  walk(input.data);
  return new ort.Tensor(ortTypeOf(spec.datatype), sink.array as never, dims);
}

/**
 * The common case in one pass: FP32 or FP64 data given flat, exactly
 * `count` numbers. Undefined for anything else (nested, a wrong count, a
 * value that is not a number, another datatype), which the general walk
 * then stores or rejects with its own error.
 */
function flatNumbers(data: unknown[], count: number, datatype: V2Datatype): Float32Array | Float64Array | undefined {
  if (data.length !== count || (datatype !== 'FP32' && datatype !== 'FP64')) return undefined;
  const array = datatype === 'FP32' ? new Float32Array(count) : new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const v = data[i];
    if (typeof v !== 'number') return undefined;
    array[i] = v;
  }
  return array;
}

/** The number of non-array values in nested arrays, or -1 past `maxDepth` levels. */
function countLeaves(arr: unknown[], depth: number, maxDepth: number): number {
  if (depth > maxDepth) return -1;
  let n = 0;
  for (const v of arr) {
    if (!Array.isArray(v)) n++;
    else {
      const inner = countLeaves(v, depth + 1, maxDepth);
      if (inner < 0) return -1;
      n += inner;
    }
  }
  return n;
}

interface Sink {
  array: unknown;
  /** Stores value `v` at `i`, or says why it cannot. */
  put(i: number, v: unknown): string | undefined;
}

function sinkFor(datatype: V2Datatype, count: number): Sink {
  switch (datatype) {
    case 'BOOL': {
      const array = new Uint8Array(count);
      return { array, put: (i, v) => (typeof v === 'boolean' ? void (array[i] = v ? 1 : 0) : `must be true or false, not ${show(v)}`) };
    }
    case 'BYTES': {
      const array = new Array<string>(count);
      return { array, put: (i, v) => (typeof v === 'string' ? void (array[i] = v) : `must be a string, not ${show(v)}`) };
    }
    case 'FP32':
    case 'FP64': {
      const array = datatype === 'FP32' ? new Float32Array(count) : new Float64Array(count);
      return { array, put: (i, v) => (typeof v === 'number' ? void (array[i] = v) : `must be a number, not ${show(v)}`) };
    }
    case 'FP16': {
      const array = new Uint16Array(count);
      return { array, put: (i, v) => (typeof v === 'number' ? void (array[i] = numberToHalf(v)) : `must be a number, not ${show(v)}`) };
    }
    case 'INT64': {
      const w = new Int64Writer(count);
      return { array: w.array, put: (i, v) => integerProblem(v, datatype) ?? void w.set(i, v as number) };
    }
    case 'UINT64': {
      const w = new Int64Writer(count);
      const array = new BigUint64Array(w.array.buffer);
      return { array, put: (i, v) => integerProblem(v, datatype) ?? void w.set(i, v as number) };
    }
    default: {
      const Ctor = { INT8: Int8Array, INT16: Int16Array, INT32: Int32Array, UINT8: Uint8Array, UINT16: Uint16Array, UINT32: Uint32Array }[datatype];
      const array = new Ctor(count);
      return { array, put: (i, v) => integerProblem(v, datatype) ?? void (array[i] = v as number) };
    }
  }
}

function integerProblem(v: unknown, datatype: V2Datatype): string | undefined {
  if (typeof v !== 'number') return `must be a number, not ${show(v)}`;
  if (!Number.isInteger(v)) return `must be an integer for ${datatype}, not ${v}`;
  const [lo, hi] = INT_RANGE[datatype]!;
  if (v < lo || v > hi) return `${v} is outside the ${datatype} range [${lo}, ${hi}]${datatype.endsWith('64') ? ' that JSON numbers carry exactly' : ''}`;
  return undefined;
}

function show(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v)}`;
  return typeof v === 'object' ? 'an object' : `${typeof v} ${String(v)}`;
}

/** An onnxruntime output as a V2 response tensor (flat data in row-major order). */
export function tensorToV2(name: string, t: ort.Tensor): V2Tensor {
  const datatype = v2DatatypeOf(t.type);
  if (!datatype) throw new Error(`output "${name}" has the element type ${t.type}, which the Open Inference Protocol cannot carry`);
  return { name, shape: [...t.dims], datatype, data: valuesOf(t, 0, t.data.length) };
}

/**
 * Row `row` of a tensor whose first dimension is the batch: a scalar for
 * [N], an array for [N, K], nested arrays beyond.
 */
export function tensorRowValue(t: ort.Tensor, row: number): unknown {
  const inner = t.dims.slice(1);
  let size = 1;
  for (const d of inner) size *= d;
  const flat = valuesOf(t, row * size, size);
  if (inner.length === 0) return flat[0];
  return nest(flat, inner, 0, 0).value;
}

function nest(flat: unknown[], dims: readonly number[], level: number, at: number): { value: unknown[]; at: number } {
  if (level === dims.length - 1) return { value: flat.slice(at, at + dims[level]), at: at + dims[level] };
  const value: unknown[] = [];
  for (let i = 0; i < dims[level]; i++) {
    const r = nest(flat, dims, level + 1, at);
    value.push(r.value);
    at = r.at;
  }
  return { value, at };
}

/** JSON-ready values: int64 as numbers (as decimal strings beyond ±2^53), bool as booleans, float16 decoded. */
function valuesOf(t: ort.Tensor, start: number, count: number): unknown[] {
  const data = t.data;
  const out = new Array<unknown>(count);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    for (let i = 0; i < count; i++) {
      const v = data[start + i];
      out[i] = v <= 9007199254740991n && v >= -9007199254740991n ? Number(v) : v.toString();
    }
  } else if (t.type === 'bool') {
    for (let i = 0; i < count; i++) out[i] = (data as Uint8Array)[start + i] !== 0;
  } else if (t.type === 'float16' && data instanceof Uint16Array) {
    for (let i = 0; i < count; i++) out[i] = halfToNumber(data[start + i]);
  } else {
    for (let i = 0; i < count; i++) out[i] = (data as ArrayLike<unknown>)[start + i];
  }
  return out;
}
