/**
 * Reads the few fields of an ONNX ModelProto that describe the model (IR
 * version, producer, opsets, metadata_props, graph inputs and outputs)
 * straight from the protobuf wire format. Nodes and initializers, which are
 * nearly all of a file, are skipped by their length without being decoded.
 * Field numbers are those of onnx/onnx.proto.
 */

export type OnnxType =
  | { kind: 'tensor'; elemType: number; /** undefined: rank unknown; null: a dimension with neither value nor name */ shape?: (number | string | null)[] }
  | { kind: 'sequence'; elem?: OnnxType }
  | { kind: 'map'; keyType: number; value?: OnnxType }
  | { kind: 'optional'; elem?: OnnxType }
  | { kind: 'sparse_tensor'; elemType: number }
  | { kind: 'unknown' };

export interface OnnxValueInfo {
  name: string;
  type: OnnxType;
}

export interface OnnxProtoModel {
  irVersion: number;
  producerName: string;
  producerVersion: string;
  opsets: { domain: string; version: number }[];
  metadata: Record<string, string>;
  hasGraph: boolean;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export class OnnxReadError extends Error {
  constructor(
    message: string,
    /** `truncated`: the bytes end inside a field; `malformed`: they are not protobuf as ONNX writes it. */
    readonly kind: 'truncated' | 'malformed',
  ) {
    super(message);
    this.name = 'OnnxReadError';
  }
}

/** ONNX TensorProto.DataType names, for messages. */
export const ONNX_ELEM_TYPES: Record<number, string> = {
  1: 'float', 2: 'uint8', 3: 'int8', 4: 'uint16', 5: 'int16', 6: 'int32', 7: 'int64', 8: 'string', 9: 'bool',
  10: 'float16', 11: 'double', 12: 'uint32', 13: 'uint64', 14: 'complex64', 15: 'complex128', 16: 'bfloat16',
  17: 'float8e4m3fn', 18: 'float8e4m3fnuz', 19: 'float8e5m2', 20: 'float8e5m2fnuz', 21: 'uint4', 22: 'int4', 23: 'float4e2m1',
};

// Type nesting deeper than this is not a real model (a ZipMap output is depth 3).
const MAX_TYPE_DEPTH = 32;

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

const utf8 = new TextDecoder('utf-8');

/** A cursor over `bytes[pos, end)`; every read is bounds-checked. */
export class Cursor {
  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  get done(): boolean {
    return this.pos >= this.end;
  }

  varint(): number {
    // Up to 10 bytes; values past 2^53 lose precision, which no field read here needs.
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OnnxReadError(`the data ends inside a varint at byte ${this.pos}`, 'truncated');
      const b = this.bytes[this.pos++];
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new OnnxReadError(`a varint at byte ${this.pos - 10} is longer than 10 bytes`, 'malformed');
  }

  /** An int64 varint as protobuf writes it: a negative value is ten bytes of two's complement. */
  int64(): number {
    const start = this.pos;
    let v = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new OnnxReadError(`the data ends inside a varint at byte ${this.pos}`, 'truncated');
      const b = this.bytes[this.pos++];
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return Number(BigInt.asIntN(64, v));
      shift += 7n;
    }
    throw new OnnxReadError(`a varint at byte ${start} is longer than 10 bytes`, 'malformed');
  }

  tag(): { field: number; wire: number } {
    const at = this.pos;
    const key = this.varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0 || field > 536_870_911) throw new OnnxReadError(`invalid field number ${field} at byte ${at}`, 'malformed');
    return { field, wire };
  }

  /** The bounds of a length-delimited field's payload; the cursor moves past it. */
  lengthDelimited(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (len > this.end - start) {
      throw new OnnxReadError(`a field at byte ${start} claims ${len} bytes but only ${this.end - start} remain`, 'truncated');
    }
    this.pos = start + len;
    return [start, start + len];
  }

  string(): string {
    const [s, e] = this.lengthDelimited();
    return utf8.decode(this.bytes.subarray(s, e));
  }

  sub(): Cursor {
    const [s, e] = this.lengthDelimited();
    return new Cursor(this.bytes, s, e);
  }

  skip(wire: number, field: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint();
        return;
      case WIRE_I64:
        this.advance(8);
        return;
      case WIRE_LEN:
        this.lengthDelimited();
        return;
      case WIRE_I32:
        this.advance(4);
        return;
      default:
        // Groups (3, 4) are not used by onnx.proto; 6 and 7 do not exist.
        throw new OnnxReadError(`field ${field} at byte ${this.pos} has the unsupported wire type ${wire}`, 'malformed');
    }
  }

  expect(wire: number, want: number, field: number, what: string): void {
    if (wire !== want) throw new OnnxReadError(`${what} (field ${field}) has wire type ${wire}, expected ${want}`, 'malformed');
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new OnnxReadError(`the data ends inside a fixed-width field at byte ${this.pos}`, 'truncated');
    this.pos += n;
  }
}

/** Reads an ONNX ModelProto's description; throws OnnxReadError on bytes that are not one. */
export function readOnnxModel(bytes: Uint8Array): OnnxProtoModel {
  const model = emptyModel();
  const c = new Cursor(bytes, 0, bytes.length);
  while (!c.done) {
    const { field, wire } = c.tag();
    switch (field) {
      case 1:
        c.expect(wire, WIRE_VARINT, field, 'ir_version');
        model.irVersion = c.int64();
        break;
      case 2:
        c.expect(wire, WIRE_LEN, field, 'producer_name');
        model.producerName = c.string();
        break;
      case 3:
        c.expect(wire, WIRE_LEN, field, 'producer_version');
        model.producerVersion = c.string();
        break;
      case 7:
        c.expect(wire, WIRE_LEN, field, 'graph');
        model.hasGraph = true;
        readGraph(c.sub(), model);
        break;
      case 8:
        c.expect(wire, WIRE_LEN, field, 'opset_import');
        model.opsets.push(readOpset(c.sub()));
        break;
      case 14: {
        c.expect(wire, WIRE_LEN, field, 'metadata_props');
        const [k, v] = readStringEntry(c.sub());
        model.metadata[k] = v;
        break;
      }
      default:
        c.skip(wire, field);
    }
  }
  return model;
}

export function emptyModel(): OnnxProtoModel {
  return { irVersion: 0, producerName: '', producerVersion: '', opsets: [], metadata: {}, hasGraph: false, inputs: [], outputs: [] };
}

function readGraph(c: Cursor, model: OnnxProtoModel): void {
  while (!c.done) {
    const { field, wire } = c.tag();
    if (field === 11 || field === 12) {
      c.expect(wire, WIRE_LEN, field, field === 11 ? 'graph.input' : 'graph.output');
      (field === 11 ? model.inputs : model.outputs).push(readValueInfo(c.sub()));
    } else {
      c.skip(wire, field);
    }
  }
}

export function readOpset(c: Cursor): { domain: string; version: number } {
  const opset = { domain: '', version: 0 };
  while (!c.done) {
    const { field, wire } = c.tag();
    if (field === 1 && wire === WIRE_LEN) opset.domain = c.string();
    else if (field === 2 && wire === WIRE_VARINT) opset.version = c.int64();
    else c.skip(wire, field);
  }
  return opset;
}

export function readStringEntry(c: Cursor): [string, string] {
  let key = '';
  let value = '';
  while (!c.done) {
    const { field, wire } = c.tag();
    if (field === 1 && wire === WIRE_LEN) key = c.string();
    else if (field === 2 && wire === WIRE_LEN) value = c.string();
    else c.skip(wire, field);
  }
  return [key, value];
}

export function readValueInfo(c: Cursor): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', type: { kind: 'unknown' } };
  while (!c.done) {
    const { field, wire } = c.tag();
    if (field === 1 && wire === WIRE_LEN) info.name = c.string();
    else if (field === 2 && wire === WIRE_LEN) info.type = readType(c.sub(), 0);
    else c.skip(wire, field);
  }
  return info;
}

function readType(c: Cursor, depth: number): OnnxType {
  if (depth > MAX_TYPE_DEPTH) throw new OnnxReadError(`a type is nested more than ${MAX_TYPE_DEPTH} levels deep`, 'malformed');
  let type: OnnxType = { kind: 'unknown' };
  while (!c.done) {
    const { field, wire } = c.tag();
    if (wire !== WIRE_LEN) {
      c.skip(wire, field);
      continue;
    }
    switch (field) {
      case 1:
        type = readTensorType(c.sub());
        break;
      case 4:
        type = { kind: 'sequence', elem: readElemType(c.sub(), depth) };
        break;
      case 5:
        type = readMapType(c.sub(), depth);
        break;
      case 8:
        type = { kind: 'sparse_tensor', elemType: readTensorType(c.sub()).elemType };
        break;
      case 9:
        type = { kind: 'optional', elem: readElemType(c.sub(), depth) };
        break;
      default:
        c.skip(wire, field);
    }
  }
  return type;
}

/** Sequence and Optional: `TypeProto elem_type = 1`. */
function readElemType(c: Cursor, depth: number): OnnxType | undefined {
  let elem: OnnxType | undefined;
  while (!c.done) {
    const { field, wire } = c.tag();
    if (field === 1 && wire === WIRE_LEN) elem = readType(c.sub(), depth + 1);
    else c.skip(wire, field);
  }
  return elem;
}

function readMapType(c: Cursor, depth: number): OnnxType {
  const map: { kind: 'map'; keyType: number; value?: OnnxType } = { kind: 'map', keyType: 0 };
  while (!c.done) {
    const { field, wire } = c.tag();
    if (field === 1 && wire === WIRE_VARINT) map.keyType = c.int64();
    else if (field === 2 && wire === WIRE_LEN) map.value = readType(c.sub(), depth + 1);
    else c.skip(wire, field);
  }
  return map;
}

function readTensorType(c: Cursor): { kind: 'tensor'; elemType: number; shape?: (number | string | null)[] } {
  const t: { kind: 'tensor'; elemType: number; shape?: (number | string | null)[] } = { kind: 'tensor', elemType: 0 };
  while (!c.done) {
    const { field, wire } = c.tag();
    if (field === 1 && wire === WIRE_VARINT) t.elemType = c.int64();
    else if (field === 2 && wire === WIRE_LEN) t.shape = readShape(c.sub());
    else c.skip(wire, field);
  }
  return t;
}

function readShape(c: Cursor): (number | string | null)[] {
  const dims: (number | string | null)[] = [];
  while (!c.done) {
    const { field, wire } = c.tag();
    if (field !== 1 || wire !== WIRE_LEN) {
      c.skip(wire, field);
      continue;
    }
    const d = c.sub();
    let dim: number | string | null = null;
    while (!d.done) {
      const t = d.tag();
      if (t.field === 1 && t.wire === WIRE_VARINT) dim = d.int64();
      else if (t.field === 2 && t.wire === WIRE_LEN) dim = d.string();
      else d.skip(t.wire, t.field);
    }
    dims.push(dim);
  }
  return dims;
}
