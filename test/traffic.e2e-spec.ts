import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { failingClassifier, logisticBinaryClassifier, slowClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';
import { CHI2_CRITICAL_0_001, chiSquare, inject } from './support/serving.js';

const FEATURES = ['f0', 'f1', 'f2'];
const model = (bias: number) => logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias, featureNames: FEATURES });
const row = (f0 = 1) => ({ instances: [{ f0, f1: 2, f2: 3 }] });

describe('traffic: weighted split, sticky keys, shadow, fallback and rollback', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({
      db,
      env: { MODELGATE_CIRCUIT_FAILURES: '3', MODELGATE_CIRCUIT_COOLDOWN_MS: '60000', MODELGATE_TELEMETRY_FLUSH_MS: '50' },
    });
    await createModel(t, 'ab');
    for (const bias of [0, 1, 2]) await uploadOk(t, 'ab', { file: model(bias) });
    await setAlias(t, 'ab', 'production', 1);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  const putTraffic = async (name: string, policy: unknown) => {
    const res = await t.http.put(`/api/v1/models/${name}/traffic`).set(t.admin).send(policy as object);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  it('splits 10,000 unpinned requests 90/10 within chi-square tolerance', async () => {
    await putTraffic('ab', { routes: [{ version: 1, weight: 90 }, { version: 2, weight: 10, name: 'challenger' }] });
    const counts = { v1: 0, challenger: 0 } as Record<string, number>;
    for (let batch = 0; batch < 100; batch++) {
      const answers = await Promise.all(Array.from({ length: 100 }, () => inject(t, 'POST', '/v1/models/ab/predict', row())));
      for (const a of answers) counts[a.json().variant]++;
    }
    expect(counts.v1 + counts.challenger).toBe(10_000);
    expect(chiSquare([counts.v1, counts.challenger], [0.9, 0.1])).toBeLessThan(CHI2_CRITICAL_0_001[1]);
  });

  it('never changes the variant of a sticky key, and spreads keys by the weights', async () => {
    await putTraffic('ab', { routes: [{ version: 1, weight: 90 }, { version: 2, weight: 10 }], sticky: 'header:x-user-id' });
    const first = new Map<string, string>();
    for (let round = 0; round < 3; round++) {
      for (let batch = 0; batch < 10; batch++) {
        const users = Array.from({ length: 200 }, (_, k) => `user-${batch * 200 + k}`);
        const answers = await Promise.all(users.map((u) => inject(t, 'POST', '/v1/models/ab/predict', row(), { 'x-user-id': u })));
        answers.forEach((a, k) => {
          const v = a.json().variant;
          if (round === 0) first.set(users[k], v);
          else expect(v).toBe(first.get(users[k]));
        });
      }
    }
    const v2 = [...first.values()].filter((v) => v === 'v2').length;
    expect(chiSquare([first.size - v2, v2], [0.9, 0.1])).toBeLessThan(CHI2_CRITICAL_0_001[1]);
  });

  it('reads a sticky key from a body field too', async () => {
    await putTraffic('ab', { routes: [{ version: 1, weight: 50 }, { version: 2, weight: 50 }], sticky: 'field:customer' });
    const variants = new Set<string>();
    for (let i = 0; i < 20; i++) variants.add((await inject(t, 'POST', '/v1/models/ab/predict', { ...row(), customer: 'c-42' })).json().variant);
    expect(variants.size).toBe(1);
  });

  it('applies a rollback to the very next request', async () => {
    await putTraffic('ab', { routes: [{ version: 3, weight: 100 }] });
    expect((await inject(t, 'POST', '/v1/models/ab/predict', row())).json().version).toBe(3);
    const rb = await t.http.post('/api/v1/models/ab/rollback').set(t.admin).send({ reason: 'v3 is bad' }).expect(200);
    expect(rb.body.after.traffic.routes).toEqual([{ version: 1, weight: 50 }, { version: 2, weight: 50 }]);
    const next = (await inject(t, 'POST', '/v1/models/ab/predict', row())).json();
    expect([1, 2]).toContain(next.version);
    await t.http.delete('/api/v1/models/ab/traffic').set(t.admin).expect(200);
    expect((await inject(t, 'POST', '/v1/models/ab/predict', row())).json()).toMatchObject({ version: 1, variant: 'v1' });
  });

  it('sends a copy of live traffic to shadow versions, records their answers and never returns them', async () => {
    await putTraffic('ab', { routes: [{ version: 1, weight: 100 }], shadow: [2] });
    const res = await inject(t, 'POST', '/v1/models/ab/predict', row());
    expect(res.json()).toMatchObject({ version: 1, variant: 'v1' });
    const id = res.json().predictions[0].prediction_id;
    const shadow = await eventually(async () => {
      const r = await withClient(db.url, (c) => c.query('SELECT * FROM shadow_predictions WHERE prediction_id = $1', [id]));
      return r.rows[0];
    });
    expect(shadow).toMatchObject({ model: 'ab', version: 2, error: null });
    expect(shadow.score).not.toBeCloseTo(res.json().predictions[0].score, 3);
  });

  describe('fallback and circuit breaker', () => {
    beforeAll(async () => {
      await createModel(t, 'fb');
      await uploadOk(t, 'fb', { file: failingClassifier({ featureNames: FEATURES }) });
      await uploadOk(t, 'fb', { file: model(0) });
      await uploadOk(t, 'fb', { file: slowClassifier({ featureNames: FEATURES }) });
      await setAlias(t, 'fb', 'production', 2);
    });

    it('serves a request the chosen version fails on from the fallback, marked fallback', async () => {
      await putTraffic('fb', { routes: [{ version: 1, weight: 100 }], fallback: 2 });
      const ok = (await inject(t, 'POST', '/v1/models/fb/predict', row(1))).json();
      expect(ok).toMatchObject({ version: 1, fallback: false });
      const res = await inject(t, 'POST', '/v1/models/fb/predict', row(5000));
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ version: 2, variant: 'fallback', fallback: true });
    });

    it('takes a version that keeps failing out of rotation', async () => {
      for (let i = 0; i < 3; i++) await inject(t, 'POST', '/v1/models/fb/predict', row(5000));
      // The circuit is open: even a good row now goes straight to the fallback.
      const res = (await inject(t, 'POST', '/v1/models/fb/predict', row(1))).json();
      expect(res).toMatchObject({ version: 2, fallback: true });
      const metrics = (await t.http.get('/metrics').expect(200)).text;
      expect(metrics).toMatch(/modelgate_circuit_open\{model="fb",version="1"\} 1/);
      expect(metrics).toMatch(/modelgate_fallback_total\{model="fb",from_version="1",to_version="2",reason="[^"]+"\} \d+/);
    });

    it('falls back when the chosen version exceeds the timeout', async () => {
      await putTraffic('fb', { routes: [{ version: 3, weight: 100 }], fallback: 2, timeout_ms: 50 });
      const res = (await inject(t, 'POST', '/v1/models/fb/predict', row(1_000_000))).json();
      expect(res).toMatchObject({ version: 2, fallback: true });
    });

    it('answers 503 NO_VERSION_AVAILABLE when nothing can serve', async () => {
      await putTraffic('fb', { routes: [{ version: 1, weight: 100 }] });
      const res = await inject(t, 'POST', '/v1/models/fb/predict', row(5000));
      expect(res.statusCode).toBe(503);
      expect(res.json().error.code).toBe('NO_VERSION_AVAILABLE');
    });
  });
});
