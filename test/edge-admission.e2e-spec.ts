import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EdgeAdmissionHook } from '../src/serving/edge-admission.hook.js';
import { GrpcServer } from '../src/serving/grpc/grpc-server.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { adminMetadata, grpcCall, inferenceClient } from './support/grpc-client.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { logisticBinaryClassifier, slowClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';

const FEATURES = ['f0', 'f1', 'f2'];
/** The slow model's run time grows with f0: 3e5 trips hold a request well over 50 ms. */
const SLOW = 300_000;
const row = (f0: number) => ({ instances: [{ f0, f1: 2, f2: 3 }] });
const LIMIT = 4;

function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

/** Sends a request and notes when its answer arrived. */
async function timed<T>(send: () => Promise<T>): Promise<{ answer: T; ms: number }> {
  const t0 = performance.now();
  const answer = await send();
  return { answer, ms: performance.now() - t0 };
}

describe('edge admission: past the in-flight limit a prediction is refused at once, before its body is read', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_MAX_IN_FLIGHT: String(LIMIT), MODELGATE_TELEMETRY_QUEUE_SIZE: '0' } });
    await createModel(t, 'slow');
    await uploadOk(t, 'slow', { file: slowClassifier({ featureNames: FEATURES }) });
    await setAlias(t, 'slow', 'production', 1);
    await createModel(t, 'fast');
    await uploadOk(t, 'fast', { file: logisticBinaryClassifier({ weights: [0.5, -0.25, 0.125], bias: 0, featureNames: FEATURES }) });
    await setAlias(t, 'fast', 'production', 1);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('answers a flood past the limit with fast 503 OVERLOADED and Retry-After, counts it, and still answers health and the admitted requests', async () => {
    const metrics = async () => (await t.http.get('/metrics').expect(200)).text;
    const series = 'modelgate_requests_shed_total{model="slow",reason="in_flight"}';
    const before = sample(await metrics(), series);
    const flood = Array.from({ length: 20 }, () => timed(() => inject(t, 'POST', '/v1/models/slow/predict', row(SLOW))));
    // While the admitted requests are still running: health and a registry read answer.
    const live = await timed(() => inject(t, 'GET', '/health/live'));
    const registry = await timed(() => inject(t, 'GET', '/api/v1/models/slow'));
    const answers = await Promise.all(flood);
    const ok = answers.filter((a) => a.answer.statusCode === 200);
    const shed = answers.filter((a) => a.answer.statusCode === 503);
    expect(ok.length).toBe(LIMIT);
    expect(shed.length).toBe(20 - LIMIT);
    for (const s of shed) {
      expect(s.answer.json().error.code).toBe('OVERLOADED');
      expect(s.answer.json().error.details.reason).toBe('in_flight');
      expect(s.answer.headers['retry-after']).toBe('1');
    }
    // The excess is refused at once: every refusal lands before the quickest admitted answer.
    const quickestAdmitted = Math.min(...ok.map((a) => a.ms));
    expect(Math.max(...shed.map((s) => s.ms))).toBeLessThan(quickestAdmitted);
    expect(live.answer.statusCode).toBe(200);
    expect(registry.answer.statusCode).toBe(200);
    expect(live.ms).toBeLessThan(quickestAdmitted);
    expect(sample(await metrics(), series) - before).toBe(20 - LIMIT);
  });

  it('refuses V2 infer in the protocol error shape', async () => {
    const body = { inputs: FEATURES.map((f, i) => ({ name: f, shape: [1, 1], datatype: 'FP32', data: [i === 0 ? SLOW : 2] })) };
    const answers = await Promise.all(Array.from({ length: LIMIT + 4 }, () => inject(t, 'POST', '/v2/models/slow/infer', body)));
    const shed = answers.filter((a) => a.statusCode === 503);
    expect(shed.length).toBeGreaterThanOrEqual(4);
    for (const s of shed) {
      expect(s.json().code).toBe('OVERLOADED');
      expect(typeof s.json().error).toBe('string');
      expect(s.headers['retry-after']).toBe('1');
    }
  });

  it('sheds gRPC ModelInfer past the same limit with RESOURCE_EXHAUSTED (OVERLOADED) at once, and gives every slot back', async () => {
    const client = inferenceClient(t.app.get(GrpcServer).port!);
    const admission = t.app.get(EdgeAdmissionHook).admission;
    const request = { model_name: 'slow', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [SLOW, 2, 3] } }] };
    const infer = (options: grpc.CallOptions = {}) => grpcCall(client, 'ModelInfer', request, adminMetadata(), options).then(() => null, (e: grpc.ServiceError) => e);
    try {
      const series = 'modelgate_requests_shed_total{model="slow",reason="in_flight"}';
      const before = sample((await t.http.get('/metrics')).text, series);
      const answers = await Promise.all(Array.from({ length: 12 }, () => timed(infer)));
      const ok = answers.filter((a) => a.answer === null);
      const shed = answers.filter((a) => a.answer?.code === grpc.status.RESOURCE_EXHAUSTED);
      expect(ok.length).toBe(LIMIT);
      expect(shed.length).toBe(12 - LIMIT);
      for (const s of shed) {
        expect(s.answer!.metadata.get('modelgate-code')).toEqual(['OVERLOADED']);
        expect(s.answer!.metadata.get('retry-after')).toEqual(['1']);
      }
      expect(Math.max(...shed.map((s) => s.ms))).toBeLessThan(Math.min(...ok.map((a) => a.ms)));
      expect(sample((await t.http.get('/metrics')).text, series) - before).toBe(12 - LIMIT);
      expect(admission.current).toBe(0);

      // One limit for both edges: slow gRPC calls holding every slot shed a REST request.
      const holding = Array.from({ length: LIMIT }, () => infer());
      await eventually(() => admission.current === LIMIT, 5_000, 1);
      expect((await inject(t, 'POST', '/v1/models/fast/predict', row(1))).statusCode).toBe(503);
      expect(await Promise.all(holding)).toEqual(Array(LIMIT).fill(null));

      // A call its caller gives up on gives its slot back when it is cancelled, not when its inference ends.
      const late = await infer({ deadline: Date.now() + 20 });
      expect(late?.code).toBe(grpc.status.DEADLINE_EXCEEDED);
      await eventually(() => admission.current === 0, 5_000, 1);
    } finally {
      client.close();
    }
  });

  it('never refuses a single sequential caller, and gives every slot back', async () => {
    for (let i = 0; i < 200; i++) {
      const res = await inject(t, 'POST', '/v1/models/fast/predict', row(1));
      expect(res.statusCode, res.body).toBe(200);
    }
    // After all that, a burst of exactly the limit is admitted whole: no slot leaked.
    const burst = await Promise.all(Array.from({ length: LIMIT }, () => inject(t, 'POST', '/v1/models/fast/predict', row(1))));
    expect(burst.map((b) => b.statusCode)).toEqual(Array(LIMIT).fill(200));
  });

  it('gives back the slot of a request refused by its key or its body', async () => {
    for (let i = 0; i < LIMIT * 3; i++) {
      expect((await inject(t, 'POST', '/v1/models/fast/predict', row(1), { Authorization: 'Bearer nope' })).statusCode).toBe(401);
      expect((await inject(t, 'POST', '/v1/models/fast/predict', { nothing: 1 })).statusCode).toBe(400);
    }
    const burst = await Promise.all(Array.from({ length: LIMIT }, () => inject(t, 'POST', '/v1/models/fast/predict', row(1))));
    expect(burst.map((b) => b.statusCode)).toEqual(Array(LIMIT).fill(200));
  });
});
