import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { rawRequest } from './support/raw-http.js';
import { createModel, fixture, fixtureBytes, uploadOk } from './support/registry.js';

const BC = 'breast_cancer_xgb';

/**
 * A multipart upload whose part header breaks (a file name holding a bare CR
 * or LF) once held its connection open with no answer: the request must get a
 * 400 in the envelope at once and leave no version behind.
 */
describe('an upload whose multipart framing breaks', () => {
  let db: TestDatabase;
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as { port: number }).port;
    await createModel(t, 'credit');
    await uploadOk(t, 'credit', { file: fixture(`${BC}.onnx`) });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  function upload(filename: string, model = fixtureBytes(`${BC}.onnx`)): Buffer {
    const boundary = 'mgboundary42';
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`, 'latin1'),
      model,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const head =
      `POST /api/v1/models/credit/versions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${body.length}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head), body]);
  }

  const versions = async () =>
    (await withClient(db.url, (c) => c.query(`SELECT count(*)::int AS n FROM model_versions v JOIN models m ON m.id = v.model_id WHERE m.name = 'credit'`))).rows[0].n;

  it.each([
    ['a bare CR', 'x\ry.onnx'],
    ['a bare LF', 'x\ny.onnx'],
    ['a CR at the end', 'model.onnx\r'],
  ])('answers a file name with %s with a 400 at once', async (_what, filename) => {
    const before = await versions();
    const started = Date.now();
    const res = await rawRequest(port, upload(filename), 5_000);
    expect(res.status, res.body.slice(0, 300)).toBe(400);
    expect(res.json.error.code).toMatch(/^(MALFORMED_MULTIPART|INVALID_UPLOAD)$/);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(await versions()).toBe(before);
  });

  it('still takes an upload with an ordinary file name on the same server', async () => {
    const res = await rawRequest(port, upload('model.onnx'), 10_000);
    expect(res.status, res.body.slice(0, 300)).toBe(201);
  });
});
