import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';
import { lookupGraph } from './support/v2-graphs.js';

/** V2 on a graph that is not a feature matrix goes through the same core as /v1: breaker, fallback, telemetry, ids. */
describe('V2 inference on tensor graphs through the shared core', () => {
  let db: TestDatabase;
  let t: TestApp;
  const infer = (x: number[]) => inject(t, 'POST', '/v2/models/lookup/infer', { inputs: [{ name: 'x', shape: [x.length], datatype: 'INT64', data: x }] });

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_GRPC_ENABLED: 'false', MODELGATE_TELEMETRY_FLUSH_MS: '50', MODELGATE_CIRCUIT_FAILURES: '3' } });
    await createModel(t, 'lookup', 'regression');
    await uploadOk(t, 'lookup', { file: lookupGraph(2) });
    await uploadOk(t, 'lookup', { file: lookupGraph(10) });
    await setAlias(t, 'lookup', 'production', 1);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('answers an onnxruntime failure as the version failing (503), not as the caller mistake', async () => {
    const ok = await infer([0, 1]);
    expect(ok.statusCode, ok.body).toBe(200);
    expect(ok.json().outputs[0].data).toEqual([0.5, 1.5]);
    const bad = await infer([7]);
    expect(bad.statusCode).toBe(503);
    expect(bad.json().code).toBe('NO_VERSION_AVAILABLE');
  });

  it('records every row with its prediction id, so the ids in the answer can take feedback', async () => {
    const res = await infer([1, 0, 1]);
    const ids: string[] = res.json().parameters.prediction_ids.split(',');
    expect(ids).toHaveLength(3);
    const rows = await eventually(async () => {
      const r = await withClient(db.url, (c) => c.query('SELECT id::text, protocol, version FROM predictions WHERE id = ANY($1::uuid[])', [ids]));
      return r.rows.length === 3 ? r.rows : undefined;
    });
    expect(rows!.every((r: any) => r.protocol === 'v2' && r.version === 1)).toBe(true);
  });

  it('falls back when the chosen version fails, and opens its breaker after repeated failures', async () => {
    const put = await t.http.put('/api/v1/models/lookup/traffic').set(t.admin).send({ routes: [{ version: 1, weight: 100 }], fallback: 2 });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    await eventually(async () => (await infer([7])).statusCode === 200);
    const res = await infer([7]);
    expect(res.json()).toMatchObject({ model_version: '2', parameters: { fallback: true, variant: 'fallback' } });
    expect(res.json().outputs[0].data).toEqual([7.5]);
    for (let i = 0; i < 3; i++) await infer([9]);
    const metrics = (await t.http.get('/metrics')).text;
    expect(metrics).toMatch(/modelgate_circuit_open\{model="lookup",version="1"\} 1/);
    expect(metrics).toMatch(/modelgate_fallback_total\{model="lookup",from_version="1",to_version="2"/);
  });

  it('refuses more rows than the per-request limit before anything runs', async () => {
    const res = await infer(Array(10_001).fill(0));
    expect(res.statusCode).toBe(413);
    expect(res.json().code).toBe('TOO_MANY_ROWS');
  });
});
