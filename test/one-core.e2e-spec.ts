import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as grpc from '@grpc/grpc-js';
import { GrpcServer } from '../src/serving/grpc/grpc-server.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { grpcCall, inferenceClient } from './support/grpc-client.js';
import { logisticBinaryClassifier, slowClassifier } from './support/onnx-builder.js';
import { readFixtureCsv } from './support/onnx-fixtures.js';
import { createModel, fixture, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';
import { lookupGraph } from './support/v2-graphs.js';

const BC = 'breast_cancer_xgb';
const ROWS = 20;

/**
 * One inference core behind every edge: traffic over V2 REST and gRPC
 * reaches the live drift sketches, the error windows, the drift checks and
 * the shadows the way `/v1` traffic does, for a tabular model (its feature
 * rows) and a generic tensor model (requests, rows, latency and errors).
 */
describe('one inference core: V2 and gRPC traffic is monitored and shadowed like /v1 traffic', () => {
  let db: TestDatabase;
  let t: TestApp;
  let client: any;
  const csv = readFixtureCsv(`${BC}.test.csv`);
  const matrix = Float32Array.from(csv.data.subarray(0, ROWS * csv.width));
  const lookupV2 = (x: number[]) => inject(t, 'POST', '/v2/models/lookup/infer', { inputs: [{ name: 'x', shape: [x.length], datatype: 'INT64', data: x }] });
  const lookupGrpc = (x: number[]) =>
    grpcCall<any>(client, 'ModelInfer', { model_name: 'lookup', model_version: '', inputs: [{ name: 'x', datatype: 'INT64', shape: [x.length], contents: { int64_contents: x.map(String) } }] });

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_MONITOR_FLUSH_MS: '100', MODELGATE_LEADER_POLL_MS: '100', MODELGATE_TELEMETRY_FLUSH_MS: '50' } });
    for (const name of ['bc-v1', 'bc-v2', 'bc-grpc']) {
      await createModel(t, name);
      await uploadOk(t, name, { file: fixture(`${BC}.onnx`), baseline: fixture(`${BC}.train.csv`) });
      await setAlias(t, name, 'production', 1);
    }
    // Version 1 knows indices 0..1 (7 fails in onnxruntime), version 2 (the shadow) 0..9.
    await createModel(t, 'lookup', 'regression', { monitoring_policy: { window_seconds: 2 } });
    await uploadOk(t, 'lookup', { file: lookupGraph(2) });
    await uploadOk(t, 'lookup', { file: lookupGraph(10) });
    await setAlias(t, 'lookup', 'production', 1);
    const put = await t.http.put('/api/v1/models/lookup/traffic').set(t.admin).send({ routes: [{ version: 1, weight: 100 }], shadow: [2] });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    // Version 1 is slow (late past the policy's timeout) on features a, b, c; its fallback takes them as c, b, a and scores only c.
    await createModel(t, 'swap');
    await uploadOk(t, 'swap', { file: slowClassifier({ featureNames: ['a', 'b', 'c'], layout: 'columns', weights: [0, 0, 0], bias: 0 }) });
    await uploadOk(t, 'swap', { file: logisticBinaryClassifier({ featureNames: ['c', 'b', 'a'], layout: 'columns', weights: [4, 0, 0], bias: 0 }) });
    await setAlias(t, 'swap', 'production', 1);
    const swap = await t.http.put('/api/v1/models/swap/traffic').set(t.admin).send({ routes: [{ version: 1, weight: 100 }], fallback: 2, timeout_ms: 20 });
    expect(swap.status, JSON.stringify(swap.body)).toBe(200);
    client = inferenceClient(t.app.get(GrpcServer).port!);
    for (const name of ['bc-v1', 'bc-v2', 'bc-grpc', 'lookup', 'swap']) {
      await eventually(async () => (await inject(t, 'GET', `/v2/models/${name}/ready`)).statusCode === 200, 30_000);
    }
  });
  afterAll(async () => {
    client?.close();
    await t?.close();
    await db?.drop();
  });

  const partials = (model: string) =>
    withClient(db.url, (c) => c.query(`SELECT version, variant, rows, sketch FROM window_sketches WHERE model_name = $1 ORDER BY window_start`, [model])).then((r) => r.rows);

  it('sketches a tabular model rows sent over V2 REST and gRPC exactly as the same rows sent to /v1', async () => {
    const rows = Array.from({ length: ROWS }, (_, i) => Array.from(matrix.subarray(i * csv.width, (i + 1) * csv.width)));
    const v1 = await inject(t, 'POST', '/v1/models/bc-v1/predict', { inputs: rows });
    expect(v1.statusCode, v1.body).toBe(200);
    const v2 = await inject(t, 'POST', '/v2/models/bc-v2/infer', { inputs: [{ name: 'input', shape: [ROWS, csv.width], datatype: 'FP32', data: Array.from(matrix) }] });
    expect(v2.statusCode, v2.body).toBe(200);
    await grpcCall(client, 'ModelInfer', { model_name: 'bc-grpc', inputs: [{ name: 'input', datatype: 'FP32', shape: [ROWS, csv.width] }], raw_input_contents: [Buffer.from(matrix.buffer)] });

    const got = await eventually(async () => {
      const all = await Promise.all(['bc-v1', 'bc-v2', 'bc-grpc'].map(partials));
      return all.every((p) => p.reduce((n: number, r: any) => n + r.rows, 0) === ROWS) ? all : undefined;
    }, 20_000);
    const [a, b, c] = got!.map((p) => p[0].sketch);
    expect(a.features.filter(Boolean)).toHaveLength(csv.width);
    for (const other of [b, c]) {
      expect(other.features).toEqual(a.features);
      expect(other.prediction).toEqual(a.prediction);
      expect({ rows: other.rows, requests: other.requests, errors: other.errors }).toEqual({ rows: ROWS, requests: 1, errors: 0 });
    }
  });

  it('counts a generic tensor model V2 and gRPC requests, rows and errors in its windows and its drift checks', async () => {
    expect((await lookupV2([0, 1])).statusCode).toBe(200);
    await lookupGrpc([1, 0, 1]);
    expect((await lookupV2([7])).statusCode).toBe(503);
    await expect(lookupGrpc([7])).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });

    const live = (p: any[]) => p.filter((r) => r.version === 1 && r.variant !== 'shadow');
    const sum = (p: any[], k: string) => p.reduce((n, r) => n + r.sketch[k], 0);
    const windows = await eventually(async () => {
      const p = live(await partials('lookup'));
      return sum(p, 'rows') >= 5 && sum(p, 'errors') >= 2 ? p : undefined;
    }, 20_000);
    expect({ rows: sum(windows!, 'rows'), requests: sum(windows!, 'requests'), errors: sum(windows!, 'errors') }).toEqual({ rows: 5, requests: 4, errors: 2 });

    const checks = await eventually(async () => {
      const r = await withClient(db.url, (q) =>
        q.query(`SELECT coalesce(sum(rows), 0)::int AS rows, coalesce(sum(requests), 0)::int AS requests, coalesce(sum(errors), 0)::int AS errors
                   FROM drift_checks WHERE model_name = 'lookup' AND version = 1 AND variant <> 'shadow'`),
      );
      return r.rows[0].requests === 4 ? r.rows[0] : undefined;
    }, 30_000);
    expect(checks).toEqual({ rows: 5, requests: 4, errors: 2 });
  });

  it('sends copies of V2 and gRPC traffic to the shadow version of the traffic policy', async () => {
    const rest = await lookupV2([0, 1]);
    expect(rest.statusCode, rest.body).toBe(200);
    const viaGrpc = await lookupGrpc([1]);
    const ids = [...rest.json().parameters.prediction_ids.split(','), ...viaGrpc.parameters.prediction_ids.string_param.split(',')];
    expect(ids).toHaveLength(3);
    const shadows = await eventually(async () => {
      const r = await withClient(db.url, (c) => c.query('SELECT prediction_id::text, version, error FROM shadow_predictions WHERE prediction_id = ANY($1::uuid[])', [ids]));
      return r.rows.length === 3 ? r.rows : undefined;
    }, 20_000);
    expect(shadows!.every((s: any) => s.version === 2 && s.error === null)).toBe(true);
  });

  it('reads a tensor request by input name for the version that actually answers: a fallback with its features in another order', async () => {
    const features = { a: 300_000, b: 0, c: 0 };
    const inputs = Object.entries(features).map(([name, v]) => ({ name, shape: [1, 1], datatype: 'FP32', data: [v] }));
    const rest = await inject(t, 'POST', '/v2/models/swap/infer', { inputs, outputs: [{ name: 'probabilities' }] });
    expect(rest.statusCode, rest.body).toBe(200);
    expect(rest.json()).toMatchObject({ model_version: '2', parameters: { fallback: true } });
    // The fallback sees c = 0: a score of one half, not the saturated score of a read in version 1's order.
    expect(rest.json().outputs[0].data[1]).toBeCloseTo(0.5, 5);
    const viaGrpc = await grpcCall<any>(client, 'ModelInfer', {
      model_name: 'swap',
      inputs: Object.entries(features).map(([name, v]) => ({ name, datatype: 'FP32', shape: [1, 1], contents: { fp32_contents: [v] } })),
      outputs: [{ name: 'probabilities' }],
    });
    expect(viaGrpc.model_version).toBe('2');
    expect(viaGrpc.outputs[0].contents.fp32_contents[1]).toBeCloseTo(0.5, 5);
  });
});
