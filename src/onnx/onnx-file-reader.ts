import fs from 'node:fs';
import {
  Cursor,
  emptyModel,
  OnnxReadError,
  type OnnxProtoModel,
  readOpset,
  readStringEntry,
  readValueInfo,
  WIRE_I32,
  WIRE_I64,
  WIRE_LEN,
  WIRE_VARINT,
} from './onnx-model-reader.js';

/**
 * Reads the same description as `readOnnxModel` from a file, a window at a
 * time, so a model of hundreds of MiB is never held in memory: nodes and
 * initializers (nearly all of a file) are skipped by seeking past their
 * length. Only the small messages read (graph inputs and outputs, opsets,
 * metadata entries) are copied into memory, each at most `maxMessageBytes`.
 * Synchronous on purpose: it runs in the upload analysis process, off the
 * serving event loop.
 */
export function readOnnxModelFile(filePath: string, opts: { windowBytes?: number; maxMessageBytes?: number } = {}): OnnxProtoModel {
  const fd = fs.openSync(filePath, 'r');
  try {
    const r = new FileCursor(fd, fs.fstatSync(fd).size, opts.windowBytes ?? 1 << 16);
    return readModel(r, opts.maxMessageBytes ?? 64 << 20);
  } finally {
    fs.closeSync(fd);
  }
}

/** The first bytes of a file, for telling a truncated model from something else. */
export function readFileStart(filePath: string, n: number): Buffer {
  const fd = fs.openSync(filePath, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, fs.readSync(fd, buf, 0, n, 0));
  } finally {
    fs.closeSync(fd);
  }
}

function readModel(r: FileCursor, maxMessage: number): OnnxProtoModel {
  const model = emptyModel();
  const message = (what: string) => new Cursor(...r.message(maxMessage, what));
  while (r.pos < r.size) {
    const { field, wire } = r.tag();
    switch (field) {
      case 1:
        r.expect(wire, WIRE_VARINT, field, 'ir_version');
        model.irVersion = r.int64();
        break;
      case 2:
      case 3: {
        r.expect(wire, WIRE_LEN, field, field === 2 ? 'producer_name' : 'producer_version');
        const c = message('a producer string');
        const text = new TextDecoder('utf-8').decode(c.bytes.subarray(c.pos, c.end));
        if (field === 2) model.producerName = text;
        else model.producerVersion = text;
        break;
      }
      case 7: {
        r.expect(wire, WIRE_LEN, field, 'graph');
        model.hasGraph = true;
        const end = r.lengthEnd();
        while (r.pos < end) {
          const g = r.tag(end);
          if (g.field === 11 || g.field === 12) {
            r.expect(g.wire, WIRE_LEN, g.field, g.field === 11 ? 'graph.input' : 'graph.output');
            (g.field === 11 ? model.inputs : model.outputs).push(readValueInfo(new Cursor(...r.message(maxMessage, 'a graph input or output', end))));
          } else {
            r.skip(g.wire, g.field, end);
          }
        }
        break;
      }
      case 8:
        r.expect(wire, WIRE_LEN, field, 'opset_import');
        model.opsets.push(readOpset(message('an opset_import')));
        break;
      case 14: {
        r.expect(wire, WIRE_LEN, field, 'metadata_props');
        const [k, v] = readStringEntry(message('a metadata_props entry'));
        model.metadata[k] = v;
        break;
      }
      default:
        r.skip(wire, field, r.size);
    }
  }
  return model;
}

/** A position in a file read through one reusable window; every read is bounds-checked against `end`. */
class FileCursor {
  pos = 0;
  private readonly window: Buffer;
  private windowStart = 0;
  private windowEnd = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
    windowBytes: number,
  ) {
    this.window = Buffer.alloc(windowBytes);
  }

  private byte(end: number): number {
    if (this.pos >= end) throw new OnnxReadError(`the data ends inside a varint at byte ${this.pos}`, 'truncated');
    if (this.pos < this.windowStart || this.pos >= this.windowEnd) {
      const n = fs.readSync(this.fd, this.window, 0, this.window.length, this.pos);
      this.windowStart = this.pos;
      this.windowEnd = this.pos + n;
      if (n === 0) throw new OnnxReadError(`the file ends at byte ${this.pos}`, 'truncated');
    }
    return this.window[this.pos++ - this.windowStart];
  }

  varint(end = this.size): number {
    let result = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.byte(end);
      result += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return result;
      scale *= 128;
    }
    throw new OnnxReadError(`a varint at byte ${this.pos - 10} is longer than 10 bytes`, 'malformed');
  }

  int64(end = this.size): number {
    const start = this.pos;
    let v = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      const b = this.byte(end);
      v |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return Number(BigInt.asIntN(64, v));
      shift += 7n;
    }
    throw new OnnxReadError(`a varint at byte ${start} is longer than 10 bytes`, 'malformed');
  }

  tag(end = this.size): { field: number; wire: number } {
    const at = this.pos;
    const key = this.varint(end);
    const field = Math.floor(key / 8);
    if (field === 0 || field > 536_870_911) throw new OnnxReadError(`invalid field number ${field} at byte ${at}`, 'malformed');
    return { field, wire: key % 8 };
  }

  /** Reads a length prefix; returns where its payload ends, leaving the cursor at the payload's start. */
  lengthEnd(end = this.size): number {
    const len = this.varint(end);
    if (len > end - this.pos) {
      throw new OnnxReadError(`a field at byte ${this.pos} claims ${len} bytes but only ${end - this.pos} remain`, 'truncated');
    }
    return this.pos + len;
  }

  /** A length-delimited payload copied into memory, as [bytes, 0, length] for a Cursor. */
  message(max: number, what: string, end = this.size): [Uint8Array, number, number] {
    const stop = this.lengthEnd(end);
    const len = stop - this.pos;
    if (len > max) throw new OnnxReadError(`${what} at byte ${this.pos} is ${len} bytes, more than a model description holds`, 'malformed');
    const buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const n = fs.readSync(this.fd, buf, got, len - got, this.pos + got);
      if (n === 0) throw new OnnxReadError(`the file ends at byte ${this.pos + got}`, 'truncated');
      got += n;
    }
    this.pos = stop;
    return [buf, 0, len];
  }

  skip(wire: number, field: number, end: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varint(end);
        return;
      case WIRE_I64:
        return this.advance(8, end);
      case WIRE_LEN:
        this.pos = this.lengthEnd(end);
        return;
      case WIRE_I32:
        return this.advance(4, end);
      default:
        throw new OnnxReadError(`field ${field} at byte ${this.pos} has the unsupported wire type ${wire}`, 'malformed');
    }
  }

  expect(wire: number, want: number, field: number, what: string): void {
    if (wire !== want) throw new OnnxReadError(`${what} (field ${field}) has wire type ${wire}, expected ${want}`, 'malformed');
  }

  private advance(n: number, end: number): void {
    if (n > end - this.pos) throw new OnnxReadError(`the data ends inside a fixed-width field at byte ${this.pos}`, 'truncated');
    this.pos += n;
  }
}
