import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { createModel, fixture, setAlias, uploadOk } from './support/registry.js';
import { startS3, type TestS3 } from './support/s3.js';

describe('readiness while not ready', () => {
  let db: TestDatabase;
  let s3: TestS3;
  let first: TestApp;
  let second: TestApp | undefined;

  beforeAll(async () => {
    db = await createTestDatabase();
    s3 = await startS3();
    first = await startTestApp({ db, s3 });
    await createModel(first, 'credit');
    await uploadOk(first, 'credit', { file: fixture('breast_cancer_xgb.onnx') });
    await setAlias(first, 'credit', 'production', 1);
  });
  afterAll(async () => {
    await second?.close();
    await first?.close();
    await s3?.stop();
    await db?.drop();
  });

  it('answers 503 naming the failing check and why, when a routed version cannot load', async () => {
    // A new replica whose routed artifact is gone from the store can never become ready.
    const { rows } = await withClient(db.url, (c) => c.query(`SELECT artifact_key FROM model_versions LIMIT 1`));
    const client = new S3Client({ endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true });
    await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: rows[0].artifact_key }));
    client.destroy();
    second = await startTestApp({ db, s3, waitReady: false });
    // First "routing table not built yet", then the version that will not load.
    const res = (await eventually(async () => {
      const r = await second!.http.get('/health/ready');
      return /credit v1/.test(r.body?.error?.message ?? '') ? r : undefined;
    }, 30_000))!;
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('NOT_READY');
    expect(res.body.error.details.failing).toContain('models');
    expect(res.body.error.message).toMatch(/models: .*credit v1/);
    expect(res.body.error.details.checks.database.status).toBe('up');
    expect(res.headers['retry-after']).toBe('1');
  });
});
