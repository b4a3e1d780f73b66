import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Multipart } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import { MalformedMultipart, PayloadTooLarge, UnsupportedMediaType } from '../common/errors.js';
import { uuidv7 } from '../common/ids.js';
import { InvalidUpload } from './registry.errors.js';

/** The parts of a version upload, with the model file already on local disk. */
export interface UploadDraft {
  /** Local scratch copy of the `.onnx` file; the caller removes it. */
  filePath: string;
  sha256: string;
  size: number;
  metadata?: unknown;
  /** Local scratch copy of the baseline part, if one was given; the caller removes it. */
  baselinePath?: string;
}

const KNOWN_PARTS = new Set(['file', 'metadata', 'baseline']);

/**
 * Reads a multipart upload: the model file streams to a scratch file while
 * its sha256 and size are computed, and the baseline streams to one of its
 * own within its limit (neither is ever buffered whole: concatenating a
 * 30 MB baseline stalled predictions for 100 ms); `metadata` is small
 * enough to hold.
 */
export async function readUpload(
  request: FastifyRequest,
  scratchDir: string,
  limits: { maxUploadBytes: number; maxBaselineBytes: number },
): Promise<UploadDraft> {
  if (!request.isMultipart()) {
    throw new UnsupportedMediaType('upload a version as multipart/form-data with the model in the field "file"');
  }
  await fs.mkdir(scratchDir, { recursive: true });
  const draft: Partial<UploadDraft> = {};
  let filePath: string | undefined;
  let baselinePath: string | undefined;
  try {
    for await (const part of partsUntilStalled(request)) {
      if (!KNOWN_PARTS.has(part.fieldname)) {
        if (part.type === 'file') part.file.resume();
        throw new InvalidUpload(`unknown multipart field "${part.fieldname}"; expected file, metadata, baseline`, {
          field: part.fieldname,
        });
      }
      if (part.fieldname in draft || (part.fieldname === 'file' && filePath) || (part.fieldname === 'baseline' && baselinePath)) {
        if (part.type === 'file') part.file.resume();
        throw new InvalidUpload(`multipart field "${part.fieldname}" given twice`, { field: part.fieldname });
      }
      if (part.fieldname === 'file') {
        if (part.type !== 'file') throw new InvalidUpload('"file" must be a file part (the .onnx model)', { field: 'file' });
        filePath = path.join(scratchDir, `${uuidv7()}.onnx`);
        const hash = createHash('sha256');
        const size = await spool(part.file, filePath, (chunk) => hash.update(chunk));
        if (part.file.truncated) throw new PayloadTooLarge(limits.maxUploadBytes, 'model file');
        Object.assign(draft, { filePath, sha256: hash.digest('hex'), size });
      } else if (part.fieldname === 'baseline') {
        baselinePath = path.join(scratchDir, `${uuidv7()}.baseline`);
        if (part.type === 'file') await spoolBounded(part.file, baselinePath, limits.maxBaselineBytes, part.fieldname);
        else await fs.writeFile(baselinePath, boundedValue(String(part.value), limits.maxBaselineBytes, part.fieldname), { flag: 'wx' });
        draft.baselinePath = baselinePath;
      } else {
        const bytes = part.type === 'file' ? await readBounded(part.file, limits.maxBaselineBytes, part.fieldname) : Buffer.from(String(part.value));
        draft.metadata = parseMetadata(bytes);
      }
    }
  } catch (err) {
    if (filePath) await fs.rm(filePath, { force: true });
    if (baselinePath) await fs.rm(baselinePath, { force: true });
    if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') throw new PayloadTooLarge(limits.maxUploadBytes, 'model file');
    throw err;
  }
  if (!draft.filePath || draft.size === 0) {
    if (draft.filePath) await fs.rm(draft.filePath, { force: true });
    if (baselinePath) await fs.rm(baselinePath, { force: true });
    if (!draft.filePath) throw new InvalidUpload('the multipart field "file" (the .onnx model) is required', { field: 'file' });
    throw new InvalidUpload('the model file is empty', { field: 'file' });
  }
  return draft as UploadDraft;
}

/**
 * How long the parser may hold the request paused while we wait for its next
 * part. Parsing what has arrived takes microseconds; the grace is for a
 * loaded machine.
 */
const PARSER_STALL_MS = 1_000;
const STALL_POLL_MS = 100;

/**
 * The request's parts, failing fast when the parser stalls. busboy skips a
 * part whose header holds a bare CR or LF (`filename="x\ry"`), and when the
 * rest of that part came in a large chunk it never takes more input: the
 * request stays paused (the pipe waits for busboy's drain), `finish` never
 * comes, and the connection was held with no answer. While we wait for the
 * next part nothing of ours holds the stream back, so a request paused that
 * long is the parser's stall, not a slow client (whose stream stays flowing,
 * just empty): it is answered at once as a malformed body.
 */
async function* partsUntilStalled(request: FastifyRequest): AsyncGenerator<Multipart> {
  const raw = request.raw;
  const iterator = request.parts()[Symbol.asyncIterator]();
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<'stalled'>((resolve) => {
      let pausedSince: number | undefined;
      timer = setInterval(() => {
        if (raw.readableEnded || raw.readableFlowing !== false) {
          pausedSince = undefined;
          return;
        }
        pausedSince ??= Date.now();
        if (Date.now() - pausedSince >= PARSER_STALL_MS) resolve('stalled');
      }, STALL_POLL_MS);
    });
    try {
      const next = await Promise.race([iterator.next(), stalled]);
      if (next === 'stalled') {
        throw new MalformedMultipart(
          'malformed multipart body: its parts could not be read (is there a bare CR or LF in a part header, such as the file name?)',
        );
      }
      if (next.done) return;
      yield next.value;
    } finally {
      clearInterval(timer);
    }
  }
}

/** Streams a part to a new `file`, showing each chunk to `onChunk` (which may throw to refuse it); answers the bytes written. */
async function spool(stream: NodeJS.ReadableStream, file: string, onChunk: (chunk: Buffer, size: number) => void): Promise<number> {
  let size = 0;
  await pipeline(
    stream,
    new Transform({
      transform(chunk: Buffer, _enc, cb) {
        size += chunk.length;
        try {
          onChunk(chunk, size);
        } catch (err) {
          return cb(err as Error);
        }
        cb(null, chunk);
      },
    }),
    createWriteStream(file, { flags: 'wx' }),
  );
  return size;
}

/** Streams a part to `file`, refusing it once it passes `limit` bytes. */
async function spoolBounded(stream: NodeJS.ReadableStream & { truncated?: boolean }, file: string, limit: number, field: string): Promise<void> {
  await spool(stream, file, (_chunk, size) => {
    if (size > limit) throw new PayloadTooLarge(limit, field);
  });
  if (stream.truncated) throw new PayloadTooLarge(limit, field);
}

function boundedValue(value: string, limit: number, field: string): string {
  if (Buffer.byteLength(value) > limit) throw new PayloadTooLarge(limit, field);
  return value;
}

async function readBounded(stream: NodeJS.ReadableStream & { truncated?: boolean }, limit: number, field: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      (stream as any).resume?.();
      throw new PayloadTooLarge(limit, field);
    }
    chunks.push(chunk);
  }
  if (stream.truncated) throw new PayloadTooLarge(limit, field);
  return Buffer.concat(chunks);
}

function parseMetadata(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new InvalidUpload(`metadata is not valid JSON: ${(err as Error).message}`, { field: 'metadata' });
  }
}
