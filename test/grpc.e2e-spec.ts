import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GrpcServer } from '../src/serving/grpc/grpc-server.js';
import { ADMIN_TOKEN, eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { readExpected, readFixtureCsv } from './support/onnx-fixtures.js';
import { createModel, fixture, setAlias, uploadOk } from './support/registry.js';
import { identityGraph } from './support/v2-graphs.js';

const BC = 'breast_cancer_xgb';
const PROTO = path.join(import.meta.dirname, '..', 'proto');

/** A client of the committed protos, decoded as KServe's and Triton's generated stubs would. */
function clients(port: number) {
  const def = protoLoader.loadSync([path.join(PROTO, 'grpc_predict_v2.proto'), path.join(PROTO, 'health.proto')], {
    keepCase: true, longs: String, enums: String, defaults: true, oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as any;
  const address = `127.0.0.1:${port}`;
  return {
    inference: new pkg.inference.GRPCInferenceService(address, grpc.credentials.createInsecure()),
    health: new pkg.grpc.health.v1.Health(address, grpc.credentials.createInsecure()),
  };
}

function call<T>(client: any, method: string, request: unknown, md = new grpc.Metadata()): Promise<T> {
  return new Promise((resolve, reject) => client[method](request, md, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res))));
}

const bearer = () => {
  const md = new grpc.Metadata();
  md.set('authorization', `Bearer ${ADMIN_TOKEN}`);
  return md;
};

describe('the V2 gRPC service (inference.GRPCInferenceService) and gRPC health', () => {
  let db: TestDatabase;
  let t: TestApp;
  let c: ReturnType<typeof clients>;
  const csv = readFixtureCsv(`${BC}.test.csv`);
  const expected = readExpected(`${BC}.expected.json`).p1;
  const rows = 5;
  const fp32 = Float32Array.from(csv.data.subarray(0, rows * 30));

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
    await createModel(t, 'bc');
    await uploadOk(t, 'bc', { file: fixture(`${BC}.onnx`) });
    await setAlias(t, 'bc', 'production', 1);
    for (const d of ['INT8', 'BYTES', 'FP16', 'UINT64'] as const) {
      await createModel(t, `id-${d.toLowerCase()}`, 'regression');
      await uploadOk(t, `id-${d.toLowerCase()}`, { file: identityGraph(d) });
      await setAlias(t, `id-${d.toLowerCase()}`, 'production', 1);
    }
    c = clients(t.app.get(GrpcServer).port!);
  });
  afterAll(async () => {
    c?.inference.close();
    c?.health.close();
    await t?.close();
    await db?.drop();
  });

  it('answers health Check and Watch for the server and the inference service, and NOT_FOUND for another', async () => {
    expect(await call(c.health, 'Check', { service: '' })).toEqual({ status: 'SERVING' });
    expect(await call(c.health, 'Check', { service: 'inference.GRPCInferenceService' })).toEqual({ status: 'SERVING' });
    await expect(call(c.health, 'Check', { service: 'nope' })).rejects.toMatchObject({ code: grpc.status.NOT_FOUND });
    const first = await new Promise((resolve, reject) => {
      const stream = c.health.Watch({ service: '' });
      stream.on('data', (m: unknown) => {
        resolve(m);
        stream.cancel();
      });
      stream.on('error', (e: grpc.ServiceError) => e.code !== grpc.status.CANCELLED && reject(e));
    });
    expect(first).toEqual({ status: 'SERVING' });
  });

  it('answers liveness and readiness without a key, metadata only with one (authorization or x-api-key)', async () => {
    expect(await call(c.inference, 'ServerLive', {})).toEqual({ live: true });
    expect(await call(c.inference, 'ServerReady', {})).toEqual({ ready: true });
    await expect(call(c.inference, 'ServerMetadata', {})).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED });
    const server = await call<any>(c.inference, 'ServerMetadata', {}, bearer());
    expect(server).toMatchObject({ name: 'modelgate', extensions: expect.arrayContaining(['binary_tensor_data']) });
    const md = new grpc.Metadata();
    md.set('x-api-key', ADMIN_TOKEN);
    const meta = await call<any>(c.inference, 'ModelMetadata', { name: 'bc', version: '' }, md);
    expect(meta).toMatchObject({ name: 'bc', versions: ['1'], platform: 'onnxruntime_onnx', inputs: [{ name: 'input', datatype: 'FP32', shape: ['-1', '30'] }] });
    expect(await call(c.inference, 'ModelReady', { name: 'bc', version: '' }, bearer())).toEqual({ ready: true });
    expect(await call(c.inference, 'ModelReady', { name: 'bc', version: '7' }, bearer())).toEqual({ ready: false });
  });

  it('infers with raw_input_contents (numpy tobytes, as tritonclient.grpc sends) and answers raw_output_contents equal to the model own', async () => {
    const res = await call<any>(c.inference, 'ModelInfer', {
      model_name: 'bc', model_version: '', id: 'g-1',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 30] }],
      raw_input_contents: [Buffer.from(fp32.buffer)],
    }, bearer());
    expect(res).toMatchObject({ model_name: 'bc', model_version: '1', id: 'g-1' });
    const k = res.outputs.findIndex((o: any) => o.name === 'probabilities');
    expect(res.outputs[k]).toMatchObject({ datatype: 'FP32', shape: [String(rows), '2'] });
    const raw: Buffer = res.raw_output_contents[k];
    const p = new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    for (let i = 0; i < rows; i++) expect(Math.abs(p[i * 2 + 1] - expected[i])).toBeLessThan(1e-5);
    expect(res.parameters.prediction_ids.parameter_choice).toBe('string_param');
    expect(res.parameters.prediction_ids.string_param.split(',')).toHaveLength(rows);
  });

  it('infers with typed contents and answers typed contents', async () => {
    const res = await call<any>(c.inference, 'ModelInfer', {
      model_name: 'bc', model_version: '1',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [rows, 30], contents: { fp32_contents: Array.from(fp32) } }],
      outputs: [{ name: 'probabilities' }],
    }, bearer());
    expect(res.raw_output_contents).toEqual([]);
    const p = res.outputs[0].contents.fp32_contents;
    for (let i = 0; i < rows; i++) expect(Math.abs(p[i * 2 + 1] - expected[i])).toBeLessThan(1e-5);
  });

  it('maps errors to gRPC statuses with the stable code in the modelgate-code trailer', async () => {
    const unknown = await call(c.inference, 'ModelInfer', { model_name: 'nope', inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 30], contents: { fp32_contents: Array(30).fill(0) } }] }, bearer()).catch((e: grpc.ServiceError) => e) as grpc.ServiceError;
    expect(unknown.code).toBe(grpc.status.NOT_FOUND);
    expect(unknown.metadata.get('modelgate-code')).toEqual(['MODEL_NOT_FOUND']);
    const wrong = await call(c.inference, 'ModelInfer', { model_name: 'bc', inputs: [{ name: 'input', datatype: 'INT64', shape: [1, 30], contents: { int64_contents: Array(30).fill(0) } }] }, bearer()).catch((e: grpc.ServiceError) => e) as grpc.ServiceError;
    expect(wrong.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(wrong.details).toMatch(/datatype/);
    const md = new grpc.Metadata();
    md.set('authorization', 'Bearer mgk_nope_0123456789abcdefghijklmnopqrstuv');
    const denied = await call(c.inference, 'ModelInfer', { model_name: 'bc', inputs: [] }, md).catch((e: grpc.ServiceError) => e) as grpc.ServiceError;
    expect(denied.code).toBe(grpc.status.UNAUTHENTICATED);
  });

  it.each<[string, string, unknown[], (r: any) => unknown]>([
    ['INT8', 'int_contents', [-128, 127, 0, -1, 1, 5], (o) => o.contents.int_contents],
    ['BYTES', 'bytes_contents', ['', 'héllo', 'a,b', 'x', 'ok', '🙂'].map((s) => Buffer.from(s)), (o) => o.contents.bytes_contents.map((b: Buffer) => b.toString())],
    ['UINT64', 'uint64_contents', ['0', '18446744073709551615', '5', '1', '2', '3'], (o) => o.contents.uint64_contents],
  ])('round-trips %s through an identity graph in typed contents', async (d, field, values, read) => {
    const res = await call<any>(c.inference, 'ModelInfer', {
      model_name: `id-${d.toLowerCase()}`,
      inputs: [{ name: 'x', datatype: d, shape: [2, 3], contents: { [field]: values } }, { name: 'f', datatype: 'FP32', shape: [2, 1], contents: { fp32_contents: [1, 2] } }],
      outputs: [{ name: 'y' }],
    }, bearer());
    expect(res.outputs[0]).toMatchObject({ name: 'y', datatype: d, shape: ['2', '3'] });
    // 64-bit contents keep every digit, beyond what a JSON number holds.
    expect(read(res.outputs[0])).toEqual(d === 'BYTES' ? values.map(String) : values);
  });

  it('round-trips FP16 through raw contents, the only way the proto carries it', async () => {
    const half = Buffer.from(new Uint16Array([0x3800, 0xc000, 0x6400, 0, 0x7bff, 0x0001]).buffer);
    const res = await call<any>(c.inference, 'ModelInfer', {
      model_name: 'id-fp16',
      inputs: [{ name: 'x', datatype: 'FP16', shape: [2, 3] }, { name: 'f', datatype: 'FP32', shape: [2, 1] }],
      raw_input_contents: [half, Buffer.from(new Float32Array([1, 2]).buffer)],
    }, bearer());
    const k = res.outputs.findIndex((o: any) => o.name === 'y');
    expect(res.outputs[k].datatype).toBe('FP16');
    expect(Buffer.compare(res.raw_output_contents[k], half)).toBe(0);
  });

  it('loads through RepositoryModelLoad and refuses RepositoryModelUnload of a routed model', async () => {
    expect(await call(c.inference, 'RepositoryModelLoad', { model_name: 'bc' }, bearer())).toEqual({ model_name: 'bc', isLoaded: true });
    const refused = (await call(c.inference, 'RepositoryModelUnload', { model_name: 'bc' }, bearer()).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
    expect(refused.code).toBe(grpc.status.FAILED_PRECONDITION);
    expect(refused.metadata.get('modelgate-code')).toEqual(['VERSION_ROUTED']);
  });

  it('counts gRPC inferences in the same serving metrics as REST, labelled protocol grpc', async () => {
    const metrics = (await t.http.get('/metrics')).text;
    expect(metrics).toMatch(/modelgate_prediction_requests_total\{[^}]*model="bc"[^}]*protocol="grpc"[^}]*\} 2/);
    expect(metrics).not.toMatch(/modelgate_prediction_requests_total\{[^}]*model="bc"[^}]*protocol="v2"/);
  });
});

describe('gRPC shutdown with the app', () => {
  it('ends health watches with NOT_SERVING and stops taking calls when the app closes', async () => {
    const db = await createTestDatabase();
    const t = await startTestApp({ db });
    const c = clients(t.app.get(GrpcServer).port!);
    try {
      const seen: string[] = [];
      const ended = new Promise<void>((resolve) => {
        const stream = c.health.Watch({ service: 'inference.GRPCInferenceService' });
        stream.on('data', (m: { status: string }) => seen.push(m.status));
        stream.on('end', () => resolve());
        stream.on('error', () => resolve());
      });
      await eventually(() => seen.length > 0);
      await t.close();
      await ended;
      expect(seen).toEqual(['SERVING', 'NOT_SERVING']);
      const after = (await call(c.inference, 'ServerLive', {}).catch((e: grpc.ServiceError) => e)) as grpc.ServiceError;
      expect(after.code).toBe(grpc.status.UNAVAILABLE);
    } finally {
      c.inference.close();
      c.health.close();
      await t.close();
      await db.drop();
    }
  });
});
