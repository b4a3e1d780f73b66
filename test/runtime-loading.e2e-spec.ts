import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxSession } from '../src/onnx/onnx-session.js';
import { ModelRuntime } from '../src/serving/model-runtime.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { logisticBinaryClassifier, warmUpFailingClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';

const FEATURES = ['f0', 'f1', 'f2'];
const row = { instances: [{ f0: 1, f1: 2, f2: 3 }] };
const modelFile = (bias: number) => logisticBinaryClassifier({ weights: [1, 1, 1], bias, featureNames: FEATURES });

async function metricsText(t: TestApp): Promise<string> {
  return (await t.http.get('/metrics').expect(200)).text;
}
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Waits until serving knows the model (the upload's NOTIFY arrived): its pinned route no longer answers MODEL_NOT_FOUND. */
async function known(t: TestApp, model: string): Promise<void> {
  await eventually(async () => (await inject(t, 'POST', `/v1/models/${model}/versions/999/predict`, row)).json().error?.code === 'VERSION_NOT_FOUND', 1_000);
}

/** Creates `count` models named `${prefix}<i>`, one version each, and routes each by its production alias. */
async function routedModels(t: TestApp, prefix: string, count: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}${i}`;
    await createModel(t, name);
    await uploadOk(t, name, { file: modelFile(i / 10) });
    await setAlias(t, name, 'production', 1);
    names.push(name);
  }
  return names;
}

describe('loading: routed versions past the bound, on-demand loads, residency', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({
      db,
      env: { MODELGATE_MAX_LOADED_VERSIONS: '3', MODELGATE_MIN_RESIDENCY_MS: '60000', MODELGATE_RECONCILE_MS: '600000' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('serves every routed model when more are routed than the bound, and exports how many', async () => {
    const names = await routedModels(t, 'r', 6);
    for (const name of names) {
      const res = await inject(t, 'POST', `/v1/models/${name}/predict`, row);
      expect(res.statusCode, `${name}: ${res.body}`).toBe(200);
    }
    const text = await metricsText(t);
    expect(sample(text, 'modelgate_routed_versions')).toBe(6);
    expect(sample(text, 'modelgate_loaded_versions')).toBe(6);
    expect((await t.http.get('/health/ready')).status).toBe(200);
  });

  it('keeps a version loaded on demand for its residency, so pinned calls cannot make it load and evict in a loop', async () => {
    await createModel(t, 'pins');
    for (let bias = 0; bias < 3; bias++) await uploadOk(t, 'pins', { file: modelFile(bias) });
    await known(t, 'pins');
    // With six routed versions over a bound of three, one unrouted slot is left.
    const first = await inject(t, 'POST', '/v1/models/pins/versions/1/predict', row);
    expect(first.statusCode).toBe(503);
    expect(first.json().error).toMatchObject({ code: 'LOADING', details: { reason: 'started' } });
    expect(Number(first.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    await eventually(async () => (await inject(t, 'POST', '/v1/models/pins/versions/1/predict', row)).statusCode === 200);
    // Alternating pins on versions 2, 3 and 1: the slot is held for 60 s, so nothing else loads and v1 stays.
    for (let i = 0; i < 30; i++) {
      const v = 2 + (i % 2);
      const res = await inject(t, 'POST', `/v1/models/pins/versions/${v}/predict`, row);
      expect(res.statusCode).toBe(503);
      expect(res.json().error).toMatchObject({ code: 'LOADING', details: { reason: 'memory_full' } });
      expect(Number(res.headers['retry-after'])).toBeGreaterThan(1);
      expect((await inject(t, 'POST', '/v1/models/pins/versions/1/predict', row)).statusCode).toBe(200);
    }
    const text = await metricsText(t);
    expect(sample(text, 'modelgate_model_loads_total{model="pins",reason="on_demand"}')).toBe(1);
  });

  it('frees the native session of a version whose warm-up fails, and counts it as a model failure, not the caller', async () => {
    await createModel(t, 'broken');
    await uploadOk(t, 'broken', { file: warmUpFailingClassifier({ featureNames: FEATURES }) });
    await known(t, 'broken');
    const runtime = t.app.get(ModelRuntime);
    const before = OnnxSession.liveSessions;
    for (let i = 0; i < 3; i++) await runtime.load('broken', 1, 'routed').catch(() => {});
    expect(OnnxSession.liveSessions).toBe(before);
    expect(runtime.isLoaded('broken', 1)).toBe(false);
    const res = await inject(t, 'POST', '/v1/models/broken/versions/1/predict', row);
    expect(res.statusCode).toBe(503);
    expect(res.json().error.code).toBe('NO_VERSION_AVAILABLE');
    expect(res.json().error.message).toMatch(/failed to load/);
    expect(sample(await metricsText(t), 'modelgate_model_load_failures_total{model="broken",version="1"}')).toBe(3);
  });

  it('discards a load in flight when its model is unloaded, so a deleted model cannot come back', async () => {
    await createModel(t, 'gone');
    await uploadOk(t, 'gone', { file: modelFile(0) });
    const runtime = t.app.get(ModelRuntime);
    const before = OnnxSession.liveSessions;
    const load = runtime.load('gone', 1, 'on_demand');
    await runtime.unloadModel('gone');
    await expect(load).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
    expect(runtime.isLoaded('gone', 1)).toBe(false);
    expect(OnnxSession.liveSessions).toBe(before);
  });
});

describe('loading at the default bound of 16', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_RECONCILE_MS: '600000' } });
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('serves a model uploaded with no alias on its pinned route within a second, long before the reconcile', async () => {
    await createModel(t, 'fresh');
    await uploadOk(t, 'fresh', { file: modelFile(0) });
    const started = Date.now();
    const res = await eventually(async () => {
      const r = await inject(t, 'POST', '/v1/models/fresh/versions/1/predict', row);
      return r.statusCode === 200 ? r : undefined;
    }, 5_000);
    expect(res!.json()).toMatchObject({ model: 'fresh', version: 1 });
    // The reconcile runs every 10 minutes here: only the upload's NOTIFY can explain this.
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('starts at most two loads at once however many pinned calls arrive', async () => {
    await createModel(t, 'many');
    for (let bias = 0; bias < 6; bias++) await uploadOk(t, 'many', { file: modelFile(bias) });
    await known(t, 'many');
    const answers = await Promise.all([1, 2, 3, 4, 5, 6].map((v) => inject(t, 'POST', `/v1/models/many/versions/${v}/predict`, row)));
    for (const a of answers) expect(a.json().error.code).toBe('LOADING');
    expect(answers.filter((a) => a.json().error.details.reason === 'started')).toHaveLength(2);
    expect(answers.filter((a) => a.json().error.details.reason === 'load_slots_busy')).toHaveLength(4);
    expect(sample(await metricsText(t), 'modelgate_model_loads_total{model="many",reason="on_demand"}')).toBe(2);
  });

  it('answers a stored artifact that onnxruntime refuses as a model failure (503, counted), not as the caller\'s 422', async () => {
    await createModel(t, 'rotten');
    await uploadOk(t, 'rotten', { file: modelFile(0) });
    await known(t, 'rotten');
    // The stored object and its recorded hash are replaced by bytes that are not ONNX: the cache accepts
    // them (the hash matches), and only onnxruntime can refuse them, as it does a model it cannot open.
    const garbage = Buffer.from('not an onnx model at all');
    const sha = createHash('sha256').update(garbage).digest('hex');
    const key = await withClient(db.url, async (c) => {
      const r = await c.query(
        `UPDATE model_versions SET artifact_sha256 = $1, artifact_size = $2 FROM models
         WHERE models.id = model_versions.model_id AND models.name = 'rotten' RETURNING artifact_key`,
        [sha, garbage.length],
      );
      return r.rows[0].artifact_key as string;
    });
    const storeDir = t.config.storage.kind === 'file' ? t.config.storage.dir : '';
    await fs.writeFile(path.join(storeDir, key), garbage);
    const first = await inject(t, 'POST', '/v1/models/rotten/versions/1/predict', row);
    expect(first.json().error.code).toBe('LOADING');
    const failed = await eventually(async () => {
      const r = await inject(t, 'POST', '/v1/models/rotten/versions/1/predict', row);
      return r.json().error?.code === 'NO_VERSION_AVAILABLE' ? r : undefined;
    });
    expect(failed!.statusCode).toBe(503);
    expect(sample(await metricsText(t), 'modelgate_model_load_failures_total{model="rotten",version="1"}')).toBe(1);
  });

  it('serves a newly promoted 17th model', async () => {
    const names = await routedModels(t, 'm', 17);
    for (const name of names) expect((await inject(t, 'POST', `/v1/models/${name}/predict`, row)).statusCode, name).toBe(200);
    const text = await metricsText(t);
    expect(sample(text, 'modelgate_routed_versions')).toBe(17);
  });
});
