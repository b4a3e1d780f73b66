import fs from 'node:fs/promises';
import os from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { behavesAsAnArtifactStore, randomFile, readAll, sha256 } from '../../test/support/artifact-store-contract.js';
import { startS3, type TestS3 } from '../../test/support/s3.js';
import { ConfigError } from '../config/config.schema.js';
import { freePort } from '../common/net.js';
import { S3ArtifactStore } from './s3-artifact-store.js';
import { ArtifactStoreUnavailable } from './storage.errors.js';

const storeOn = (s3: TestS3, extra: Partial<ConstructorParameters<typeof S3ArtifactStore>[0]> = {}) =>
  new S3ArtifactStore({ bucket: s3.bucket, endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true, prefix: '', ...extra });

let contractS3: TestS3;
let contractStore: S3ArtifactStore;
let contractScratch: string;

behavesAsAnArtifactStore(
  'S3ArtifactStore',
  async () => {
    contractS3 = await startS3();
    contractStore = storeOn(contractS3);
    contractScratch = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-s3-store-'));
    return { store: contractStore, scratch: contractScratch };
  },
  async () => {
    await contractStore.close();
    await contractS3.stop();
    await fs.rm(contractScratch, { recursive: true, force: true });
  },
);

describe('S3ArtifactStore', () => {
  let s3: TestS3;
  let scratch: string;
  let raw: S3Client;

  beforeAll(async () => {
    s3 = await startS3('modelgate-s3-specific');
    scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-s3-store-'));
    raw = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true });
  });
  afterAll(async () => {
    raw.destroy();
    await s3.stop();
    await fs.rm(scratch, { recursive: true, force: true });
  });

  it('keeps objects under its prefix with the sha256 in their metadata', async () => {
    const store = storeOn(s3, { prefix: 'tenant-a' });
    const src = await randomFile(scratch, 2048);
    await store.putFile('models/credit/v1.onnx', src.file, src.meta);
    expect(store.location).toBe(`s3://${s3.bucket}/tenant-a/`);
    const listed = await raw.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: 'tenant-a/' }));
    expect(listed.Contents?.map((o) => o.Key)).toEqual(['tenant-a/models/credit/v1.onnx']);
    const head = await raw.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'tenant-a/models/credit/v1.onnx' }));
    expect(head.Metadata?.sha256).toBe(src.meta.sha256);
    expect(head.ContentLength).toBe(2048);
    await store.close();
  });

  it('uploads a file larger than one part as a multipart upload and reads it back intact', async () => {
    const store = storeOn(s3, { partSizeBytes: 5 * 1024 * 1024 });
    const src = await randomFile(scratch, 12 * 1024 * 1024 + 7);
    await store.putFile('models/big/v1.onnx', src.file, src.meta);
    const { body, size } = await store.openRead('models/big/v1.onnx');
    expect(size).toBe(src.bytes.length);
    expect(sha256(await readAll(body))).toBe(src.meta.sha256);
    const head = await raw.send(new HeadObjectCommand({ Bucket: s3.bucket, Key: 'models/big/v1.onnx' }));
    expect(head.Metadata?.sha256).toBe(src.meta.sha256);
    await store.close();
  });

  it('fails a ping with ArtifactStoreUnavailable when the bucket does not exist', async () => {
    const store = storeOn(s3, { bucket: 'no-such-bucket' });
    const err = await store.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactStoreUnavailable);
    expect((err as ArtifactStoreUnavailable).code).toBe('ARTIFACT_STORE_UNAVAILABLE');
    await store.close();
  });

  it('refuses to start on a bucket that does not exist, naming the bucket and the endpoint', async () => {
    const store = storeOn(s3, { bucket: 'no-such-bucket' });
    const err = await store.ensureBucket(false).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain('"no-such-bucket" does not exist');
    expect((err as Error).message).toContain(s3.endpoint);
    expect((err as Error).message).toContain('S3_CREATE_BUCKET=true');
    await store.close();
  });

  it('creates a missing bucket when asked, and finds it there the next time', async () => {
    const store = storeOn(s3, { bucket: 'created-at-start' });
    expect(await store.ensureBucket(true)).toBe('created');
    await store.ping();
    expect(await store.ensureBucket(false)).toBe('exists');
    await store.close();
  });

  it('lets the start go on when the store does not answer: an outage, not a missing bucket', async () => {
    const store = storeOn(s3, { endpoint: `http://127.0.0.1:${await freePort()}` });
    expect(await store.ensureBucket(false)).toBe('unreachable');
    await store.close();
  });

  it('fails every call with ArtifactStoreUnavailable within a few seconds while S3 is down, and recovers when it is back', async () => {
    const store = storeOn(s3);
    const src = await randomFile(scratch, 4096);
    await store.putFile('models/outage/v1.onnx', src.file, src.meta);
    await store.ping();

    await s3.stop();
    try {
      const calls: [string, () => Promise<unknown>][] = [
        ['ping', () => store.ping()],
        ['exists', () => store.exists('models/outage/v1.onnx')],
        ['openRead', () => store.openRead('models/outage/v1.onnx')],
        ['downloadTo', () => store.downloadTo('models/outage/v1.onnx', path.join(scratch, 'outage.out'))],
        ['putFile', () => store.putFile('models/outage/v2.onnx', src.file, src.meta)],
        ['delete', () => store.delete('models/outage/v1.onnx')],
      ];
      for (const [name, call] of calls) {
        const t0 = Date.now();
        const err = await call().catch((e: unknown) => e);
        expect(err, name).toBeInstanceOf(ArtifactStoreUnavailable);
        expect((err as ArtifactStoreUnavailable).kind, name).toBe('unavailable');
        expect(Date.now() - t0, name).toBeLessThan(5_000);
      }
      await expect(fs.access(path.join(scratch, 'outage.out'))).rejects.toThrow();
    } finally {
      await s3.restart();
    }
    await store.ping();
    expect(await store.exists('models/outage/v1.onnx')).toBe(true);
    await store.close();
  });

  it('fails calls within its operation timeout when the server accepts connections but never answers', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => sockets.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    const store = storeOn(s3, { endpoint: `http://127.0.0.1:${port}`, operationTimeoutMs: 500, maxAttempts: 2 });
    try {
      for (const [name, call] of [
        ['ping', () => store.ping()],
        ['exists', () => store.exists('models/x.onnx')],
        ['openRead', () => store.openRead('models/x.onnx')],
      ] as const) {
        const t0 = Date.now();
        const err = await call().catch((e: unknown) => e);
        expect(err, name).toBeInstanceOf(ArtifactStoreUnavailable);
        expect(Date.now() - t0, name).toBeLessThan(3_000);
      }
    } finally {
      await store.close();
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
