import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import type { TestApp } from './app.js';
import type { TestS3 } from './s3.js';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const fixture = (name: string) => path.join(FIXTURES, name);
export const fixtureBytes = (name: string) => fs.readFileSync(fixture(name));

export async function createModel(t: TestApp, name: string, task = 'binary_classification', extra: Record<string, unknown> = {}) {
  const res = await t.http.post('/api/v1/models').set(t.admin).send({ name, task, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

export interface UploadParts {
  file?: Buffer | string;
  filename?: string;
  baseline?: Buffer | string;
  baselineName?: string;
  metadata?: unknown;
}

/** POSTs a multipart version upload; returns the raw supertest response. */
export function uploadVersion(t: TestApp, model: string, parts: UploadParts, auth: Record<string, string> = t.admin) {
  let req = t.http.post(`/api/v1/models/${model}/versions`).set(auth);
  if (parts.metadata !== undefined) {
    req = req.field('metadata', typeof parts.metadata === 'string' ? parts.metadata : JSON.stringify(parts.metadata));
  }
  if (parts.file !== undefined) {
    const file = typeof parts.file === 'string' ? fs.readFileSync(parts.file) : parts.file;
    req = req.attach('file', file, parts.filename ?? 'model.onnx');
  }
  if (parts.baseline !== undefined) {
    const b = typeof parts.baseline === 'string' && fs.existsSync(parts.baseline) ? fs.readFileSync(parts.baseline) : Buffer.from(parts.baseline);
    req = req.attach('baseline', b, parts.baselineName ?? 'baseline.csv');
  }
  return req;
}

export async function uploadOk(t: TestApp, model: string, parts: UploadParts) {
  const res = await uploadVersion(t, model, parts);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

export async function setAlias(t: TestApp, model: string, alias: string, version: number, reason?: string) {
  const res = await t.http.put(`/api/v1/models/${model}/aliases/${alias}`).set(t.admin).send({ version, reason });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body;
}

/** Every object key in the test bucket under a prefix, read through the real SDK. */
export async function listObjects(s3: TestS3, prefix = ''): Promise<string[]> {
  const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true });
  try {
    const out = await client.send(new ListObjectsV2Command({ Bucket: s3.bucket, Prefix: prefix }));
    return (out.Contents ?? []).map((o) => o.Key!).sort();
  } finally {
    client.destroy();
  }
}
