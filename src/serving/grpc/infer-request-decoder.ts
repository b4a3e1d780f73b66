import type { GrpcInferRequest, GrpcParameter } from './grpc-codec.js';

/**
 * A hand-written protobuf decoder for the ModelInferRequest of raw tensors
 * (`raw_input_contents`, what Triton's and KServe's clients send for numpy
 * arrays), giving the object @grpc/proto-loader would. A request with typed
 * `contents`, an unknown field or anything it does not expect answers
 * `undefined`, and the generic decoder reads it instead: this is a fast
 * path, never a second dialect.
 */
export function decodeRawInferRequest(buf: Buffer): GrpcInferRequest | undefined {
  try {
    return readRequest(new Reader(buf, 0, buf.length));
  } catch (err) {
    if (err === FALLBACK) return undefined;
    throw err;
  }
}

const FALLBACK = Symbol('use the generic decoder');

class Reader {
  constructor(
    readonly buf: Buffer,
    public at: number,
    readonly end: number,
  ) {}

  get done(): boolean {
    return this.at >= this.end;
  }

  varint(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (this.at >= this.end) throw FALLBACK;
      const b = this.buf[this.at++];
      v += (b & 127) * mul;
      if (b < 128) return v;
      mul *= 128;
    }
    // Beyond 2^56 (a negative int64, or a length no message has): the generic decoder's business.
    throw FALLBACK;
  }

  sub(): Reader {
    const n = this.varint();
    if (this.at + n > this.end) throw FALLBACK;
    const r = new Reader(this.buf, this.at, this.at + n);
    this.at += n;
    return r;
  }

  string(): string {
    const r = this.sub();
    return this.buf.toString('utf8', r.at, r.end);
  }

  bytes(): Buffer {
    const r = this.sub();
    return this.buf.subarray(r.at, r.end);
  }
}

function readRequest(r: Reader): GrpcInferRequest {
  const m: Required<GrpcInferRequest> = { model_name: '', model_version: '', id: '', parameters: {}, inputs: [], outputs: [], raw_input_contents: [] };
  while (!r.done) {
    const tag = r.varint();
    if ((tag & 7) !== 2) throw FALLBACK;
    switch (tag >>> 3) {
      case 1: m.model_name = r.string(); break;
      case 2: m.model_version = r.string(); break;
      case 3: m.id = r.string(); break;
      case 4: readParameter(r.sub(), m.parameters); break;
      case 5: m.inputs.push(readInput(r.sub())); break;
      case 6: m.outputs.push(readOutput(r.sub())); break;
      case 7: m.raw_input_contents.push(r.bytes()); break;
      default: throw FALLBACK;
    }
  }
  return m;
}

function readInput(r: Reader): NonNullable<GrpcInferRequest['inputs']>[number] {
  const t = { name: '', datatype: '', shape: [] as string[], parameters: {} as Record<string, GrpcParameter>, contents: null };
  while (!r.done) {
    const tag = r.varint();
    const field = tag >>> 3;
    if (field === 3 && (tag & 7) === 0) t.shape.push(String(r.varint()));
    else if ((tag & 7) !== 2) throw FALLBACK;
    else if (field === 1) t.name = r.string();
    else if (field === 2) t.datatype = r.string();
    else if (field === 3) for (const s = r.sub(); !s.done; ) t.shape.push(String(s.varint()));
    else if (field === 4) readParameter(r.sub(), t.parameters);
    else throw FALLBACK; // 5: typed contents
  }
  return t;
}

function readOutput(r: Reader): NonNullable<GrpcInferRequest['outputs']>[number] {
  const o = { name: '', parameters: {} as Record<string, GrpcParameter> };
  while (!r.done) {
    const tag = r.varint();
    if ((tag & 7) !== 2) throw FALLBACK;
    if (tag >>> 3 === 1) o.name = r.string();
    else if (tag >>> 3 === 2) readParameter(r.sub(), o.parameters);
    else throw FALLBACK;
  }
  return o;
}

/** One map entry: key (1) and InferParameter (2), whose oneof is bool (1), int64 (2) or string (3). */
function readParameter(r: Reader, into: Record<string, GrpcParameter>): void {
  let key = '';
  let value: GrpcParameter = {};
  while (!r.done) {
    const tag = r.varint();
    if (tag === (1 << 3) + 2) key = r.string();
    else if (tag === (2 << 3) + 2) {
      const v = r.sub();
      value = {};
      while (!v.done) {
        const t = v.varint();
        if (t === (1 << 3) + 0) value = { bool_param: v.varint() !== 0, parameter_choice: 'bool_param' };
        else if (t === (2 << 3) + 0) value = { int64_param: String(v.varint()), parameter_choice: 'int64_param' };
        else if (t === (3 << 3) + 2) value = { string_param: v.string(), parameter_choice: 'string_param' };
        else throw FALLBACK;
      }
    } else throw FALLBACK;
  }
  // A repeated key, or one that would set the prototype: the generic decoder's business.
  if (Object.hasOwn(into, key) || key === '__proto__') throw FALLBACK;
  into[key] = value;
}
