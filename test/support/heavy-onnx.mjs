// Writes a large ONNX model without ever holding it in memory: the bytes of
// a small model, with one float initializer of `floats` values appended to
// its graph, streamed to a file a megabyte at a time. Protobuf lets a
// repeated field (GraphProto.initializer = 5) follow the others, so only the
// graph's length prefix changes. Used by tests (TypeScript) and the bench (.mjs).
import fs from 'node:fs';

const varint = (n) => {
  const out = [];
  while (n > 127) {
    out.push((n % 128) | 128);
    n = Math.floor(n / 128);
  }
  out.push(n);
  return Buffer.from(out);
};

function readVarint(buf, pos) {
  let v = 0;
  let scale = 1;
  for (;;) {
    const b = buf[pos++];
    v += (b & 127) * scale;
    if (b < 128) return [v, pos];
    scale *= 128;
  }
}

/** Splits a ModelProto into the bytes before its graph, the graph payload and the bytes after. */
function splitGraph(model) {
  let pos = 0;
  while (pos < model.length) {
    const start = pos;
    const [key, p1] = readVarint(model, pos);
    const wire = key & 7;
    if (wire === 0) pos = readVarint(model, p1)[1];
    else if (wire === 2) {
      const [len, p2] = readVarint(model, p1);
      if (key >> 3 === 7) return { before: model.subarray(0, start), graph: model.subarray(p2, p2 + len), after: model.subarray(p2 + len) };
      pos = p2 + len;
    } else if (wire === 1) pos = p1 + 8;
    else if (wire === 5) pos = p1 + 4;
    else throw new Error(`unexpected wire type ${wire}`);
  }
  throw new Error('the model has no graph');
}

/**
 * Writes `model` with a float initializer `name` of `floats` values (each
 * `value`) to `outPath`; returns the file's size in bytes.
 */
export function appendInitializer(model, { name, floats, value = 0.5, outPath }) {
  const { before, graph, after } = splitGraph(Buffer.from(model));
  const rawLen = floats * 4;
  const nameBytes = Buffer.from(name, 'utf8');
  const tensorHead = Buffer.concat([
    Buffer.from([0x08]), varint(floats), // dims = [floats]
    Buffer.from([0x10, 0x01]), // data_type = FLOAT
    Buffer.from([0x42]), varint(nameBytes.length), nameBytes, // name
    Buffer.from([0x4a]), varint(rawLen), // raw_data, streamed below
  ]);
  const tensorLen = tensorHead.length + rawLen;
  const initField = Buffer.concat([Buffer.from([0x2a]), varint(tensorLen)]);
  const graphLen = graph.length + initField.length + tensorLen;
  const fd = fs.openSync(outPath, 'w');
  try {
    for (const part of [before, Buffer.from([0x3a]), varint(graphLen), graph, initField, tensorHead]) fs.writeSync(fd, part);
    const chunk = Buffer.alloc(1 << 20);
    for (let i = 0; i < chunk.length; i += 4) chunk.writeFloatLE(value, i);
    for (let left = rawLen; left > 0; left -= chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, left));
    fs.writeSync(fd, after);
  } finally {
    fs.closeSync(fd);
  }
  return fs.statSync(outPath).size;
}
