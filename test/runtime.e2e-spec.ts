import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';
import { startS3, type TestS3 } from './support/s3.js';

const FEATURES = ['f0', 'f1', 'f2'];
const row = { instances: [{ f0: 1, f1: 2, f2: 3 }] };

async function loaded(t: TestApp): Promise<string[]> {
  const text = (await t.http.get('/metrics').expect(200)).text;
  return [...text.matchAll(/^modelgate_model_loaded\{model="([^"]+)",version="(\d+)"\} 1$/gm)].map((m) => `${m[1]}@${m[2]}`).sort();
}

/** A pinned call answers LOADING at once and starts the load; polls until it answers (the new contract). */
async function pinnedOk(t: TestApp, url: string, body: unknown): Promise<Awaited<ReturnType<typeof inject>>> {
  const res = await eventually(async () => {
    const r = await inject(t, 'POST', url, body);
    return r.statusCode === 503 && r.json().error.code === 'LOADING' ? undefined : r;
  });
  return res!;
}

describe('model runtime: local cache, bounded loading, integrity', () => {
  let db: TestDatabase;
  let s3: TestS3;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    s3 = await startS3();
    t = await startTestApp({ db, s3, env: { MODELGATE_MAX_LOADED_VERSIONS: '2', MODELGATE_MIN_RESIDENCY_MS: '0' } });
    await createModel(t, 'lru');
    for (let bias = 0; bias < 4; bias++) {
      await uploadOk(t, 'lru', { file: logisticBinaryClassifier({ weights: [1, 1, 1], bias, featureNames: FEATURES }) });
    }
    await setAlias(t, 'lru', 'production', 1);
  });
  afterAll(async () => {
    await t?.close();
    await s3?.stop();
    await db?.drop();
  });

  it('loads a routed version before it takes traffic', async () => {
    expect(await loaded(t)).toEqual(['lru@1']);
  });

  it('loads a pinned version after its first request and unloads the least recently used, never a routed one', async () => {
    for (const v of [2, 3, 4]) {
      const first = await inject(t, 'POST', `/v1/models/lru/versions/${v}/predict`, row);
      expect(first.statusCode).toBe(503);
      expect(first.json().error.code).toBe('LOADING');
      expect(first.headers['retry-after']).toBe('1');
      const res = await pinnedOk(t, `/v1/models/lru/versions/${v}/predict`, row);
      expect(res.statusCode).toBe(200);
      expect(res.json().version).toBe(v);
    }
    const now = await loaded(t);
    expect(now).toContain('lru@1');
    expect(now).toContain('lru@4');
    expect(now).toHaveLength(2);
    // An unloaded version loads again when pinned.
    expect((await pinnedOk(t, '/v1/models/lru/versions/2/predict', row)).json().version).toBe(2);
  });

  it('keeps artifacts in a local cache named by sha256, and fetches a corrupted copy again', async () => {
    const cacheDir = t.config.serving.cacheDir;
    const v3 = await t.http.get('/api/v1/models/lru/versions/3').set(t.admin).expect(200);
    const file = path.join(cacheDir, `${v3.body.artifact.sha256}.onnx`);
    await fs.access(file);
    await fs.writeFile(file, Buffer.from('corrupted on disk'));
    // Version 3 is not loaded now (the bound is 2); loading it again must notice.
    await pinnedOk(t, '/v1/models/lru/versions/4/predict', row);
    await pinnedOk(t, '/v1/models/lru/versions/2/predict', row);
    const res = await pinnedOk(t, '/v1/models/lru/versions/3/predict', row);
    expect(res.statusCode).toBe(200);
    expect(res.json().version).toBe(3);
    expect((await fs.readFile(file)).toString()).not.toBe('corrupted on disk');
  });

  it('refuses a missing value for an integer input as the caller error, not the model', async () => {
    await createModel(t, 'ints');
    await uploadOk(t, 'ints', { file: logisticBinaryClassifier({ weights: [1, 1, 1], bias: 0, featureNames: FEATURES, inputType: 'int64' }) });
    await setAlias(t, 'ints', 'production', 1);
    const ok = await inject(t, 'POST', '/v1/models/ints/predict', row);
    expect(ok.statusCode).toBe(200);
    const bad = await inject(t, 'POST', '/v1/models/ints/predict', { instances: [{ f0: null, f1: 2, f2: 3 }] });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.code).toBe('VALIDATION_FAILED');
    const frac = await inject(t, 'POST', '/v1/models/ints/predict', { instances: [{ f0: 1.5, f1: 2, f2: 3 }] });
    expect(frac.statusCode).toBe(400);
  });
});
