import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LiveSketches } from '../src/monitoring/live/live-sketches.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { failingClassifier, logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';

const FEATURES = ['f0', 'f1', 'f2'];
const row = (f0 = 1) => ({ instances: [{ f0, f1: 2, f2: 3 }, { f0, f1: -1, f2: 1 }] });

/**
 * PRODUCT.md "Series": routed traffic under its route's name, shadow copies
 * as `shadow`, fallback answers as `fallback`, and the requests a version
 * could not answer counted as its errors; versions without a baseline still
 * get their request figures.
 */
describe('live sketch series', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_MONITOR_FLUSH_MS: '100', MODELGATE_CIRCUIT_FAILURES: '100' } });
    await createModel(t, 'series');
    await uploadOk(t, 'series', { file: failingClassifier({ featureNames: FEATURES }) });
    await uploadOk(t, 'series', { file: logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias: 0, featureNames: FEATURES }) });
    const res = await t.http
      .put('/api/v1/models/series/traffic')
      .set(t.admin)
      .send({ routes: [{ version: 1, weight: 100, name: 'main' }], fallback: 2, shadow: [2] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await eventually(async () => (await inject(t, 'POST', '/v1/models/series/versions/2/predict', row())).statusCode === 200, 30_000);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const totals = async () => {
    await t.app.get(LiveSketches).flush();
    const r = await withClient(db.url, (c) =>
      c.query(
        `SELECT version, variant, sum(rows)::int AS rows, sum((sketch->>'requests')::int)::int AS requests, sum((sketch->>'errors')::int)::int AS errors
           FROM window_sketches WHERE model_name = 'series' GROUP BY 1, 2 ORDER BY 1, 2`,
      ),
    );
    return Object.fromEntries(r.rows.map((x) => [`${x.version}/${x.variant}`, { rows: x.rows, requests: x.requests, errors: x.errors }]));
  };

  it('counts routed, shadow and fallback answers apart, and a failed version answer as its error', async () => {
    for (let i = 0; i < 10; i++) expect((await inject(t, 'POST', '/v1/models/series/predict', row(1))).json()).toMatchObject({ version: 1, variant: 'main' });
    for (let i = 0; i < 4; i++) expect((await inject(t, 'POST', '/v1/models/series/predict', row(5000))).json()).toMatchObject({ version: 2, variant: 'fallback' });
    await eventually(async () => (await totals())['2/shadow']?.rows === 20, 10_000);
    expect(await totals()).toEqual({
      '1/main': { rows: 20, requests: 14, errors: 4 },
      '2/fallback': { rows: 8, requests: 4, errors: 0 },
      '2/shadow': { rows: 20, requests: 10, errors: 0 },
      '2/v2': { rows: expect.any(Number), requests: expect.any(Number), errors: 0 },
    });
  });

  it('stores no features for a version without a baseline, only its request figures', async () => {
    const r = await withClient(db.url, (c) => c.query(`SELECT sketch FROM window_sketches WHERE model_name = 'series' AND variant = 'main' LIMIT 1`));
    expect(r.rows[0].sketch.features).toEqual([null, null, null]);
    expect(r.rows[0].sketch.prediction).toBeNull();
    expect(r.rows[0].sketch.latency.reduce((a: number, b: number) => a + b, 0)).toBeGreaterThan(0);
  });

  it('keeps a window whose flush failed and writes it with the next flush', async () => {
    const before = (await totals())['2/v2']?.rows ?? 0;
    await withClient(db.url, (c) => c.query('ALTER TABLE window_sketches RENAME TO window_sketches_away'));
    try {
      for (let i = 0; i < 3; i++) expect((await inject(t, 'POST', '/v1/models/series/versions/2/predict', row(1))).statusCode).toBe(200);
      await t.app.get(LiveSketches).flush();
    } finally {
      await withClient(db.url, (c) => c.query('ALTER TABLE window_sketches_away RENAME TO window_sketches'));
    }
    expect((await totals())['2/v2'].rows).toBe(before + 6);
  });

  it('sketches nothing when live sketches are switched off', async () => {
    const off = await startTestApp({ db, env: { MODELGATE_MONITOR_FLUSH_MS: '100', MODELGATE_MONITOR_SKETCHES: 'false' }, waitReady: false });
    try {
      // Its own model: artifacts live in each test app's own data directory (so it never reports ready, serving the other's routes).
      await createModel(off, 'unsketched');
      await uploadOk(off, 'unsketched', { file: logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias: 0, featureNames: FEATURES }) });
      await eventually(async () => (await inject(off, 'POST', '/v1/models/unsketched/versions/1/predict', row(1))).statusCode === 200, 30_000);
      const sketches = off.app.get(LiveSketches);
      await sketches.flush();
      const r = await withClient(db.url, (c) => c.query('SELECT count(*)::int AS n FROM window_sketches WHERE replica_id = $1', [sketches.replicaId]));
      expect(r.rows[0].n).toBe(0);
    } finally {
      await off.close();
    }
  });
});
