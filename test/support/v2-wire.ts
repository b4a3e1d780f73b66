import http from 'node:http';

/**
 * The Open Inference Protocol as real clients put it on the wire, rebuilt
 * from their source: tritonclient.http (`_utils._get_inference_request`,
 * `_infer_input.set_data_from_numpy`, `_infer_result.InferResult`) and
 * KServe's `InferRequest.to_rest` / `InferResponse.from_bytes`.
 */

/** Python's `json.dumps` with its default separators (", " and ": "), as tritonclient sends. */
export function pyJsonDumps(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : pyFloat(v);
  if (typeof v === 'string') return JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(', ')}]`;
  return `{${Object.entries(v as object).map(([k, x]) => `${JSON.stringify(k)}: ${pyJsonDumps(x)}`).join(', ')}}`;
}

/** `repr(float)`: the shortest round-trip digits, as JavaScript's, but always with a fraction or exponent. */
function pyFloat(v: number): string {
  const s = String(v);
  return s.includes('e') ? s.replace(/e([+-])(\d)$/, 'e$10$2') : s;
}

/** `serialize_byte_tensor`: each element's 4-byte little-endian length, then its bytes. */
export function serializeByteTensor(values: readonly string[]): Buffer {
  return Buffer.concat(values.flatMap((s) => {
    const b = Buffer.from(s, 'utf8');
    const len = Buffer.alloc(4);
    len.writeUInt32LE(b.length);
    return [len, b];
  }));
}

export function deserializeBytesTensor(raw: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at < raw.length; ) {
    const len = raw.readUInt32LE(at);
    out.push(raw.toString('utf8', at + 4, at + 4 + len));
    at += 4 + len;
  }
  return out;
}

type Typed = Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | BigInt64Array | BigUint64Array;

export interface ClientInput {
  name: string;
  shape: number[];
  datatype: string;
  /** Binary: `numpy.tobytes()` (or serialize_byte_tensor for BYTES); JSON: `[val.item() for val in flatten()]`. */
  values: Typed | string[] | boolean[];
  binary: boolean;
}

function rawOf(i: ClientInput): Buffer {
  if (i.datatype === 'BYTES') return serializeByteTensor(i.values as string[]);
  if (i.datatype === 'BOOL') return Buffer.from((i.values as boolean[]).map((b) => (b ? 1 : 0)));
  const t = i.values as Typed;
  return Buffer.from(t.buffer, t.byteOffset, t.byteLength);
}

function jsonValues(i: ClientInput): unknown[] {
  const v = i.values as ArrayLike<unknown>;
  return Array.from(v, (x) => (typeof x === 'bigint' ? Number(x) : x));
}

/**
 * tritonclient.http `_get_inference_request`: the body and, when any input
 * is binary, the JSON size for `Inference-Header-Content-Length`.
 */
export function tritonInferBody(
  inputs: ClientInput[],
  opts: { requestId?: string; outputs?: { name: string; binary?: boolean; classCount?: number }[]; parameters?: Record<string, unknown> } = {},
): { body: Buffer; jsonSize?: number } {
  const req: Record<string, unknown> = {};
  const parameters: Record<string, unknown> = {};
  if (opts.requestId) req.id = opts.requestId;
  req.inputs = inputs.map((i) => {
    const raw = i.binary ? rawOf(i) : undefined;
    return {
      name: i.name,
      shape: i.shape,
      datatype: i.datatype,
      ...(raw ? { parameters: { binary_data_size: raw.length } } : { data: jsonValues(i) }),
    };
  });
  if (opts.outputs) {
    req.outputs = opts.outputs.map((o) => ({
      name: o.name,
      parameters: { ...(o.classCount ? { classification: o.classCount } : {}), binary_data: o.binary ?? true },
    }));
  } else {
    parameters.binary_data_output = true;
  }
  Object.assign(parameters, opts.parameters);
  if (Object.keys(parameters).length) req.parameters = parameters;
  const json = pyJsonDumps(req);
  const raws = inputs.filter((i) => i.binary).map(rawOf);
  if (raws.length === 0) return { body: Buffer.from(json) };
  return { body: Buffer.concat([Buffer.from(json), ...raws]), jsonSize: json.length };
}

/** KServe `InferRequest.to_rest` (orjson: compact JSON; always an id and model_name). */
export function kserveInferBody(model: string, id: string, inputs: ClientInput[]): { body: Buffer; jsonLength?: number } {
  const raws: Buffer[] = [];
  const res = {
    id,
    model_name: model,
    inputs: inputs.map((i) => {
      const head = { name: i.name, shape: i.shape, datatype: i.datatype };
      if (!i.binary) return { ...head, data: jsonValues(i) };
      const raw = rawOf(i);
      raws.push(raw);
      return { ...head, parameters: { binary_data_size: raw.length } };
    }),
  };
  const json = Buffer.from(JSON.stringify(res));
  if (!raws.length) return { body: json };
  return { body: Buffer.concat([json, ...raws]), jsonLength: json.length };
}

const NP: Record<string, (b: Buffer) => ArrayLike<unknown>> = {
  FP32: (b) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
  FP64: (b) => new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
  FP16: (b) => new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
  INT8: (b) => new Int8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
  INT16: (b) => new Int16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
  INT32: (b) => new Int32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
  INT64: (b) => new BigInt64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
  UINT8: (b) => new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
  UINT16: (b) => new Uint16Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
  UINT32: (b) => new Uint32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
  UINT64: (b) => new BigUint64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length)),
  BOOL: (b) => Array.from(b, (x) => x !== 0),
  BYTES: (b) => deserializeBytesTensor(b),
};

/** tritonclient.http `InferResult`: JSON header of `Inference-Header-Content-Length` bytes, then binary outputs in order. */
export function decodeInferResult(headerLength: string | undefined, body: Buffer) {
  const n = headerLength === undefined ? body.length : Number(headerLength);
  const result = JSON.parse(body.toString('utf8', 0, n));
  const buffer = body.subarray(n);
  const offsets = new Map<string, number>();
  let at = 0;
  for (const o of result.outputs ?? []) {
    const size = o.parameters?.binary_data_size;
    if (size !== undefined) {
      offsets.set(o.name, at);
      at += size;
    }
  }
  return {
    result,
    /** `as_numpy(name)`, flattened. */
    asArray(name: string): unknown[] | undefined {
      const o = (result.outputs ?? []).find((x: any) => x.name === name);
      if (!o) return undefined;
      const size = o.parameters?.binary_data_size;
      if (size === undefined) return o.data;
      const start = offsets.get(name)!;
      return Array.from(NP[o.datatype](buffer.subarray(start, start + size)));
    },
  };
}

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** One request over a real socket with exactly these headers (node adds only Host and Connection). */
export function rawRequest(base: string, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = http.request(url, { method, headers: { ...headers, ...(body ? { 'Content-Length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
