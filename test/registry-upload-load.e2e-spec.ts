import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { appendInitializer } from './support/heavy-onnx.mjs';
import { classifierNeedingInitializer, logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';

const FEATURES = { weights: [0.5, -0.25, 0.125], bias: 0.1, featureNames: ['a', 'b', 'c'] };
const BASELINE_ROWS = 60_000;
/** 30M floats: 120 MB of initializer data the graph reads. */
const HEAVY_FLOATS = 30_000_000;

describe('a large upload beside live predictions', () => {
  let db: TestDatabase;
  let t: TestApp;
  let dir: string;
  let heavyFile: string;
  let heavySize: number;
  let baselineFile: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-heavy-'));
    heavyFile = path.join(dir, 'heavy.onnx');
    heavySize = appendInitializer(classifierNeedingInitializer({ ...FEATURES, initializer: 'heavy' }), { name: 'heavy', floats: HEAVY_FLOATS, outPath: heavyFile });
    const lines = ['a,b,c,label'];
    for (let i = 0; i < BASELINE_ROWS; i++) lines.push(`${(i % 97) / 10},${(i % 31) / 7},${(i % 13) / 3},${i % 2}`);
    baselineFile = path.join(dir, 'baseline.csv');
    fs.writeFileSync(baselineFile, lines.join('\n') + '\n');
    db = await createTestDatabase();
    t = await startTestApp({ db });
    await createModel(t, 'live');
    await uploadOk(t, 'live', { file: logisticBinaryClassifier(FEATURES) });
    await setAlias(t, 'live', 'production', 1);
    await createModel(t, 'heavy');
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores a 120 MB model with a 60,000-row baseline while this process stays responsive and small', async () => {
    expect(heavySize).toBeGreaterThan(120_000_000);
    // Both files stream from disk (supertest reads a path lazily), so the client holds neither.
    const loop = monitorEventLoopDelay({ resolution: 10 });
    const rssBefore = process.memoryUsage().rss;
    let rssMax = rssBefore;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 10);
    loop.enable();
    let done = false;
    const upload = t.http
      .post('/api/v1/models/heavy/versions')
      .set(t.admin)
      .attach('file', heavyFile)
      .attach('baseline', baselineFile)
      .then((r) => {
        done = true;
        return r;
      });
    let answered = 0;
    while (!done) {
      const res = await inject(t, 'POST', '/v1/models/live/predict', { instances: [{ a: 1, b: 2, c: 3 }] });
      expect(res.statusCode, res.body).toBe(200);
      answered++;
      await new Promise((r) => setTimeout(r, 5));
    }
    const res = await upload;
    loop.disable();
    clearInterval(sampler);
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.artifact.size_bytes).toBe(heavySize);
    const b = await t.http.get('/api/v1/models/heavy/versions/1/baseline').set(t.admin).expect(200);
    expect(b.body.baseline.row_count).toBe(BASELINE_ROWS);
    expect(b.body.baseline.prediction.count).toBe(BASELINE_ROWS);

    const p99Ms = loop.percentile(99) / 1e6;
    const maxMs = loop.max / 1e6;
    const grewMb = (rssMax - rssBefore) / 1e6;
    console.log(`upload beside predictions: ${answered} answered, loop delay p99 ${p99Ms.toFixed(1)} ms max ${maxMs.toFixed(1)} ms, rss +${grewMb.toFixed(1)} MB for a ${(heavySize / 1e6).toFixed(0)} MB model`);
    expect(answered).toBeGreaterThan(10);
    // Generous bounds on a shared 2-core machine: functional, not a speed bar.
    // Analysing in this process stalled the loop for ~8 s at once (p99 hides one long stall).
    expect(p99Ms).toBeLessThan(150);
    expect(maxMs).toBeLessThan(2000);
    // Holding the file (or onnxruntime's copy of it) here would add at least its size; allocator
    // noise from the predictions alone is 30-60 MB here.
    expect(rssMax - rssBefore).toBeLessThan(heavySize / 2);
  });
});
