import type { Tensor } from 'onnxruntime-node';
import type { V2Datatype } from './model-signature.js';

/** onnxruntime's element type names and their Open Inference Protocol datatypes. */
const ORT_TO_V2: Partial<Record<Tensor.Type, V2Datatype>> = {
  float32: 'FP32',
  float64: 'FP64',
  float16: 'FP16',
  int8: 'INT8',
  int16: 'INT16',
  int32: 'INT32',
  int64: 'INT64',
  uint8: 'UINT8',
  uint16: 'UINT16',
  uint32: 'UINT32',
  uint64: 'UINT64',
  bool: 'BOOL',
  string: 'BYTES',
};

const V2_TO_ORT = Object.fromEntries(Object.entries(ORT_TO_V2).map(([ort, v2]) => [v2, ort])) as Record<V2Datatype, Tensor.Type>;

/** The V2 datatype of an onnxruntime element type; undefined for types V2 cannot carry (bfloat16, int4, float8...). */
export function v2DatatypeOf(type: string): V2Datatype | undefined {
  return ORT_TO_V2[type as Tensor.Type];
}

export function ortTypeOf(datatype: V2Datatype): Tensor.Type {
  return V2_TO_ORT[datatype];
}

/** ONNX TensorProto.DataType numbers of the types above, to cross-check the graph with onnxruntime. */
export const ONNX_ELEM_TYPE_OF_V2: Record<V2Datatype, number> = {
  FP32: 1, UINT8: 2, INT8: 3, UINT16: 4, INT16: 5, INT32: 6, INT64: 7, BYTES: 8, BOOL: 9,
  FP16: 10, FP64: 11, UINT32: 12, UINT64: 13,
};

export const isFloatDatatype = (d: V2Datatype) => d === 'FP32' || d === 'FP64';
export const isIntegerDatatype = (d: V2Datatype) =>
  d === 'INT8' || d === 'INT16' || d === 'INT32' || d === 'INT64' || d === 'UINT8' || d === 'UINT16' || d === 'UINT32' || d === 'UINT64';

/** Converts IEEE 754 half-precision bits to a number (onnxruntime-node hands float16 over as Uint16Array). */
export function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Rounds a number to the nearest half-precision value, as bits. */
export function numberToHalf(v: number): number {
  f32[0] = v;
  const x = u32[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let frac = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (frac ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    frac |= 0x800000;
    const shift = 14 - e;
    const half = frac >> shift;
    const rem = frac & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (half + (rem > mid || (rem === mid && (half & 1)) ? 1 : 0));
  }
  const half = (e << 10) | (frac >> 13);
  const rem = frac & 0x1fff;
  // Round half to even; a carry into the exponent is the correct rounding too.
  return sign | (half + (rem > 0x1000 || (rem === 0x1000 && (half & 1)) ? 1 : 0));
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const TWO_32 = 4294967296;

/**
 * An int64 array filled through 32-bit halves, so writing a value allocates
 * no BigInt. `set(i, v)` takes a safe integer.
 */
export class Int64Writer {
  readonly array: BigInt64Array;
  private readonly lo: Uint32Array;
  private readonly hi: Int32Array;

  constructor(length: number) {
    if (!LITTLE_ENDIAN) throw new Error('int64 tensors are built for little-endian hosts only');
    this.array = new BigInt64Array(length);
    this.lo = new Uint32Array(this.array.buffer);
    this.hi = new Int32Array(this.array.buffer);
  }

  set(i: number, v: number): void {
    const high = Math.floor(v / TWO_32);
    this.lo[2 * i] = v - high * TWO_32;
    this.hi[2 * i + 1] = high;
  }
}

/** Reads int64 values as numbers through 32-bit halves (exact for safe integers), allocating no BigInt per value. */
export function int64Reader(data: BigInt64Array | BigUint64Array): (i: number) => number {
  const lo = new Uint32Array(data.buffer, data.byteOffset, data.length * 2);
  const hi = data instanceof BigInt64Array ? new Int32Array(data.buffer, data.byteOffset, data.length * 2) : new Uint32Array(data.buffer, data.byteOffset, data.length * 2);
  return (i) => hi[2 * i + 1] * TWO_32 + lo[2 * i];
}
