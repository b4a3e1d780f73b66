import ort from 'onnxruntime-node';
import { ValidationFailed } from '../common/errors.js';
import { ortTypeOf } from './datatypes.js';
import type { V2Datatype } from './model-signature.js';

/**
 * The binary tensor data extension (Triton's `extension_binary_data.md`,
 * also what KServe's clients send): raw little-endian element bytes in
 * row-major order; BYTES as each element's 4-byte little-endian length
 * followed by its bytes; BOOL one byte per element.
 */

const ELEMENT_BYTES: Record<Exclude<V2Datatype, 'BYTES'>, number> = {
  BOOL: 1, UINT8: 1, INT8: 1, UINT16: 2, INT16: 2, FP16: 2,
  UINT32: 4, INT32: 4, FP32: 4, UINT64: 8, INT64: 8, FP64: 8,
};

type Ctor = { new (n: number): ArrayBufferView & { length: number }; BYTES_PER_ELEMENT: number };

const ARRAY_OF: Record<Exclude<V2Datatype, 'BYTES'>, Ctor> = {
  BOOL: Uint8Array, UINT8: Uint8Array, INT8: Int8Array, UINT16: Uint16Array, INT16: Int16Array, FP16: Uint16Array,
  UINT32: Uint32Array, INT32: Int32Array, FP32: Float32Array, UINT64: BigUint64Array as unknown as Ctor,
  INT64: BigInt64Array as unknown as Ctor, FP64: Float64Array,
};

/** Splits BYTES data into its elements; null when the bytes are not exactly `count` length-prefixed elements. */
export function decodeBytesElements(raw: Uint8Array, count: number): string[] | null {
  const out = new Array<string>(count);
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > raw.byteLength) return null;
    const len = view.getUint32(at, true);
    at += 4;
    if (at + len > raw.byteLength) return null;
    out[i] = Buffer.from(raw.buffer, raw.byteOffset + at, len).toString('utf8');
    at += len;
  }
  return at === raw.byteLength ? out : null;
}

/**
 * An onnxruntime tensor of `datatype` and `dims` from raw bytes. The bytes
 * are copied into a fresh, aligned array: a slice of a request body may sit
 * at any offset, and a typed array view needs its element alignment.
 */
export function tensorFromRaw(name: string, datatype: V2Datatype, dims: number[], raw: Uint8Array): ort.Tensor {
  let count = 1;
  for (const d of dims) count *= d;
  if (datatype === 'BYTES') {
    const strings = decodeBytesElements(raw, count);
    if (!strings) {
      throw new ValidationFailed(`input "${name}": binary BYTES data is not ${count} elements each prefixed by a 4-byte little-endian length`, { input: name });
    }
    return new ort.Tensor('string', strings, dims);
  }
  const size = ELEMENT_BYTES[datatype];
  if (raw.byteLength !== count * size) {
    throw new ValidationFailed(`input "${name}": binary data has ${raw.byteLength} bytes but shape ${JSON.stringify(dims)} of ${datatype} needs ${count * size}`, {
      input: name,
      expected_bytes: count * size,
      bytes: raw.byteLength,
    });
  }
  const array = new ARRAY_OF[datatype](count);
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength).set(raw);
  if (datatype === 'BOOL') for (let i = 0; i < count; i++) if ((array as Uint8Array)[i] > 1) (array as Uint8Array)[i] = 1;
  return new ort.Tensor(ortTypeOf(datatype), array as never, dims);
}

/** A tensor's data as the binary extension writes it. */
export function tensorToRaw(t: ort.Tensor): Buffer {
  if (t.type === 'string') {
    const parts = (t.data as string[]).map((s) => Buffer.from(s, 'utf8'));
    const out = Buffer.allocUnsafe(parts.reduce((n, p) => n + 4 + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.writeUInt32LE(p.length, at);
      p.copy(out, at + 4);
      at += 4 + p.length;
    }
    return out;
  }
  const data = t.data as ArrayBufferView;
  if (t.type === 'bool' && !(data instanceof Uint8Array)) {
    return Buffer.from(Array.from(data as unknown as ArrayLike<unknown>, (v) => (v ? 1 : 0)));
  }
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Strings as BYTES binary data (classification answers, prediction ids). */
export function bytesToRaw(values: readonly string[]): Buffer {
  return tensorToRaw(new ort.Tensor('string', [...values], [values.length]));
}
