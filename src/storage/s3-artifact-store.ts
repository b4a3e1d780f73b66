import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ConfigError } from '../config/config.schema.js';
import { assertArtifactKey } from './artifact-key.js';
import { ArtifactStore } from './artifact-store.js';
import { ArtifactNotFound, ArtifactStoreUnavailable } from './storage.errors.js';

export interface S3ArtifactStoreOptions {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  /** Prepended to every key; a `/` is added when missing. */
  prefix: string;
  /** Time to open a TCP connection. */
  connectionTimeoutMs?: number;
  /** Time from sending an upload request (a whole part) to its response headers. */
  requestTimeoutMs?: number;
  /**
   * Time from sending any other request to its response headers; ping's
   * whole budget, retries included. A server that accepts connections but
   * never answers fails calls after this, not after requestTimeoutMs.
   */
  operationTimeoutMs?: number;
  /** Time a socket may sit idle, also while a body streams. */
  socketTimeoutMs?: number;
  /** Attempts per call, the first included. */
  maxAttempts?: number;
  /** Part size of multipart uploads; a file below it is sent in one PUT. */
  partSizeBytes?: number;
}

const MIB = 1024 * 1024;

/**
 * Artifacts in an S3-compatible bucket. Credentials come from the AWS
 * default chain (environment, profile, web identity, instance role).
 */
export class S3ArtifactStore extends ArtifactStore {
  readonly location: string;
  /** Where the bucket is looked for, as a user would name it in a message. */
  readonly endpoint: string;
  private readonly region: string;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly operationTimeout: number;
  /** Options of requests without a large body: the short per-attempt timeout. */
  private readonly short: { requestTimeout: number };

  constructor(opts: S3ArtifactStoreOptions) {
    super();
    this.bucket = opts.bucket;
    this.prefix = opts.prefix && !opts.prefix.endsWith('/') ? `${opts.prefix}/` : opts.prefix;
    this.location = `s3://${opts.bucket}/${this.prefix}`;
    this.region = opts.region;
    this.endpoint = opts.endpoint ?? `AWS S3 (region ${opts.region})`;
    // 5 MiB is S3's smallest part; each Upload buffers at most queueSize parts.
    this.partSize = Math.max(5 * MIB, opts.partSizeBytes ?? 8 * MIB);
    this.operationTimeout = opts.operationTimeoutMs ?? 5_000;
    this.short = { requestTimeout: this.operationTimeout };
    const agentOptions = { keepAlive: true, maxSockets: 50 };
    this.client = new S3Client({
      region: opts.region,
      endpoint: opts.endpoint,
      forcePathStyle: opts.forcePathStyle,
      // With the SDK's default (WHEN_SUPPORTED), a streamed PUT is sent aws-chunked
      // with a CRC32 trailer, and s3rver 3.7 stores the chunk framing as part of
      // the object (3,000 bytes came back as 3,043). Integrity rests on the
      // registry's sha256, checked when serving fetches an artifact.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: opts.maxAttempts ?? 3,
      // The options of the SDK's NodeHttpHandler, which it builds from them.
      requestHandler: {
        connectionTimeout: opts.connectionTimeoutMs ?? 2_000,
        requestTimeout: opts.requestTimeoutMs ?? 30_000,
        throwOnRequestTimeout: true,
        socketTimeout: opts.socketTimeoutMs ?? 15_000,
        httpAgent: new Agent(agentOptions),
        httpsAgent: new HttpsAgent(agentOptions),
      },
    });
  }

  async putFile(key: string, filePath: string, meta: { sha256: string; size: number }): Promise<void> {
    const objectKey = this.objectKey(key);
    // Checked before any request, so a missing source is the caller's error, not an outage.
    await fs.access(filePath);
    const upload = new Upload({
      client: this.client,
      queueSize: 2,
      partSize: this.partSize,
      leavePartsOnError: false,
      params: {
        Bucket: this.bucket,
        Key: objectKey,
        Body: createReadStream(filePath),
        ContentType: 'application/octet-stream',
        Metadata: { sha256: meta.sha256, size: String(meta.size) },
      },
    });
    await this.guard('store', key, () => upload.done());
  }

  async openRead(key: string): Promise<{ body: Readable; size: number }> {
    const objectKey = this.objectKey(key);
    const out = await this.guard('read', key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }), this.short));
    const body = out.Body as Readable;
    return { body, size: out.ContentLength ?? 0 };
  }

  async downloadTo(key: string, filePath: string): Promise<void> {
    const objectKey = this.objectKey(key);
    const out = await this.guard('read', key, () => this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: objectKey }), this.short));
    const dir = path.dirname(filePath);
    const tmp = path.join(dir, `.${path.basename(filePath)}.${randomUUID()}.part`);
    let received = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        received += chunk.length;
        done(null, chunk);
      },
    });
    try {
      // `flush` fsyncs before the stream closes, so the rename publishes complete bytes.
      await this.guard('read', key, () => pipeline(out.Body as Readable, counter, createWriteStream(tmp, { flush: true, mode: 0o600 })));
      if (out.ContentLength !== undefined && received !== out.ContentLength) {
        throw new ArtifactStoreUnavailable(this.location, 'read', `received ${received} of ${out.ContentLength} bytes`, key);
      }
      await fs.rename(tmp, filePath);
    } catch (err) {
      (out.Body as Readable | undefined)?.destroy?.();
      await fs.rm(tmp, { force: true });
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    await this.guard('delete', key, () => this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: objectKey }), this.short));
  }

  async exists(key: string): Promise<boolean> {
    const objectKey = this.objectKey(key);
    try {
      await this.guard('look up', key, () => this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: objectKey }), this.short));
      return true;
    } catch (err) {
      if (err instanceof ArtifactNotFound) return false;
      throw err;
    }
  }

  async ping(): Promise<void> {
    await this.guard('reach the bucket', undefined, () =>
      this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), {
        requestTimeout: this.operationTimeout,
        abortSignal: AbortSignal.timeout(this.operationTimeout),
      }),
    );
  }

  /**
   * Checked once at start. A bucket that does not exist is a configuration
   * mistake that no retry mends, so the start stops naming it (a
   * ConfigError), unless `create` asks for it to be made. A store that does
   * not answer is an outage: the start goes on and readiness reports it.
   */
  async ensureBucket(create: boolean): Promise<'exists' | 'created' | 'unreachable'> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }), {
        requestTimeout: this.operationTimeout,
        abortSignal: AbortSignal.timeout(this.operationTimeout),
      });
      return 'exists';
    } catch (err) {
      if (!isMissingBucket(err)) return 'unreachable';
    }
    if (!create) {
      throw new ConfigError([
        `S3_BUCKET: bucket "${this.bucket}" does not exist at ${this.endpoint}; create it, or set S3_CREATE_BUCKET=true to have Modelgate create it`,
      ]);
    }
    try {
      // us-east-1 is the default location and refuses to be named as a constraint.
      const configuration = this.region === 'us-east-1' ? undefined : { LocationConstraint: this.region as BucketLocationConstraint };
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket, CreateBucketConfiguration: configuration }), this.short);
    } catch (err) {
      // Another replica starting at the same time may have made it first.
      if (err instanceof S3ServiceException && (err.name === 'BucketAlreadyOwnedByYou' || err.name === 'BucketAlreadyExists')) return 'exists';
      throw new ConfigError([`S3_CREATE_BUCKET: could not create bucket "${this.bucket}" at ${this.endpoint}: ${describe(err)}`]);
    }
    return 'created';
  }

  override async close(): Promise<void> {
    this.client.destroy();
  }

  private objectKey(key: string): string {
    assertArtifactKey(key);
    return this.prefix + key;
  }

  private async guard<T>(operation: string, key: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ArtifactStoreUnavailable || err instanceof ArtifactNotFound) throw err;
      if (key !== undefined && isNotFound(err)) throw new ArtifactNotFound(key);
      throw new ArtifactStoreUnavailable(this.location, operation, describe(err), key);
    }
  }
}

/** HeadBucket's answer for a bucket that does not exist: 404 (HEAD has no body, so no error code but the status). */
function isMissingBucket(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  return err.$metadata.httpStatusCode === 404 || err.name === 'NoSuchBucket';
}

function isNotFound(err: unknown): boolean {
  if (!(err instanceof S3ServiceException)) return false;
  return err.$metadata.httpStatusCode === 404 || err.name === 'NoSuchKey' || err.name === 'NotFound';
}

function describe(err: unknown): string {
  if (err instanceof S3ServiceException) {
    const status = err.$metadata.httpStatusCode;
    // HEAD answers carry no body, so the SDK's message is often just "UnknownError".
    return `${err.name}${status ? ` (HTTP ${status})` : ''}${err.message && err.message !== err.name ? `: ${err.message}` : ''}`;
  }
  const e = err as NodeJS.ErrnoException;
  return e.code && !e.message.includes(e.code) ? `${e.code}: ${e.message}` : e.message || String(err);
}
