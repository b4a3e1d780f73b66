import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startTestApp, type TestApp } from './support/app.js';

describe('health', () => {
  let db: TestDatabase;
  let t: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('answers liveness without a key', async () => {
    const res = await t.http.get('/health/live').expect(200);
    expect(res.body.status).toBe('ok');
  });

  it('is ready once the database answered', async () => {
    const res = await t.http.get('/health/ready').expect(200);
    expect(res.body.details.database.status).toBe('up');
  });

  it('answers an unknown route with the error envelope', async () => {
    const res = await t.http.get('/no/such/route').expect(404);
    expect(res.body.error.code).toBe('NOT_FOUND');
  });
});
