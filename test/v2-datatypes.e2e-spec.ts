import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { V2Datatype } from '../src/onnx/model-signature.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';
import { identityGraph } from './support/v2-graphs.js';
import { type ClientInput, decodeInferResult, rawRequest, tritonInferBody } from './support/v2-wire.js';

const GEVENT = { 'User-Agent': 'python/gevent-http-client-2.3.1', Authorization: `Bearer ${ADMIN_TOKEN}` };
const MAX = Number.MAX_SAFE_INTEGER;

/** Six values per datatype that reach its edges, and the typed array numpy's tobytes() would give. */
const CASES: Record<V2Datatype, { json: unknown[]; binary: ClientInput['values'] }> = {
  BOOL: { json: [true, false, true, false, false, true], binary: [true, false, true, false, false, true] },
  UINT8: { json: [0, 255, 7, 128, 1, 254], binary: new Uint8Array([0, 255, 7, 128, 1, 254]) },
  INT8: { json: [-128, 127, 0, -1, 1, 5], binary: new Int8Array([-128, 127, 0, -1, 1, 5]) },
  UINT16: { json: [0, 65535, 300, 1, 2, 3], binary: new Uint16Array([0, 65535, 300, 1, 2, 3]) },
  INT16: { json: [-32768, 32767, 0, -300, 1, 2], binary: new Int16Array([-32768, 32767, 0, -300, 1, 2]) },
  UINT32: { json: [0, 4294967295, 70000, 1, 2, 3], binary: new Uint32Array([0, 4294967295, 70000, 1, 2, 3]) },
  INT32: { json: [-2147483648, 2147483647, 0, -70000, 1, 2], binary: new Int32Array([-2147483648, 2147483647, 0, -70000, 1, 2]) },
  UINT64: { json: [0, MAX, 5, 1, 2, 3], binary: new BigUint64Array([0n, 18446744073709551615n, 5n, 1n, 2n, 3n]) },
  INT64: { json: [-MAX, MAX, 0, -1, 1, 2], binary: new BigInt64Array([-9223372036854775808n, 9223372036854775807n, 0n, -1n, 1n, 2n]) },
  // 0.5, -2, 1024, 0, 65504 (the largest half), 2^-24 (the smallest subnormal)
  FP16: { json: [0.5, -2, 1024, 0, 65504, 2 ** -24], binary: new Uint16Array([0x3800, 0xc000, 0x6400, 0, 0x7bff, 0x0001]) },
  FP32: { json: Array.from(new Float32Array([1.5, -0.25, 3.4028234663852886e38, 0, 1e-7, -7])), binary: new Float32Array([1.5, -0.25, 3.4028234663852886e38, 0, 1e-7, -7]) },
  FP64: { json: [Math.PI, -1e300, 0, 5e-324, 1, -2], binary: new Float64Array([Math.PI, -1e300, 0, 5e-324, 1, -2]) },
  // onnxruntime-node hands strings over as C strings: an element with a NUL byte would come back cut at it.
  BYTES: { json: ['', 'héllo', 'a,b', 'x y', 'ok', '🙂'], binary: ['', 'héllo', 'a,b', 'x y', 'ok', '🙂'] },
};

const DATATYPES = Object.keys(CASES) as V2Datatype[];

describe('every V2 datatype round-trips through a generated ONNX identity graph', () => {
  let db: TestDatabase;
  let t: TestApp;
  let base: string;
  const f: ClientInput = { name: 'f', shape: [2, 1], datatype: 'FP32', values: new Float32Array([1, 2]), binary: false };

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_GRPC_ENABLED: 'false' } });
    for (const d of DATATYPES) {
      const name = `id-${d.toLowerCase()}`;
      await createModel(t, name, 'regression');
      await uploadOk(t, name, { file: identityGraph(d) });
      await setAlias(t, name, 'production', 1);
    }
    await t.app.listen(0, '127.0.0.1');
    base = (await t.app.getUrl()).replace('[::1]', '127.0.0.1');
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it.each(DATATYPES)('%s in JSON', async (d) => {
    const doc = { inputs: [{ name: 'x', shape: [2, 3], datatype: d, data: CASES[d].json }, { name: 'f', shape: [2, 1], datatype: 'FP32', data: [1, 2] }] };
    const res = await rawRequest(base, 'POST', `/v2/models/id-${d.toLowerCase()}/infer`, { ...GEVENT, 'Content-Type': 'application/json' }, Buffer.from(JSON.stringify(doc)));
    expect(res.status, res.body.toString()).toBe(200);
    const y = JSON.parse(res.body.toString()).outputs.find((o: any) => o.name === 'y');
    expect(y).toMatchObject({ datatype: d, shape: [2, 3] });
    expect(y.data).toEqual(CASES[d].json);
  });

  it.each(DATATYPES)('%s in binary, as tritonclient.http sends and reads it', async (d) => {
    const { body, jsonSize } = tritonInferBody([{ name: 'x', shape: [2, 3], datatype: d, values: CASES[d].binary, binary: true }, { ...f, binary: true }]);
    const res = await rawRequest(base, 'POST', `/v2/models/id-${d.toLowerCase()}/infer`, { ...GEVENT, 'Inference-Header-Content-Length': String(jsonSize) }, body);
    expect(res.status, res.body.toString()).toBe(200);
    const r = decodeInferResult(res.headers['inference-header-content-length'] as string, res.body);
    expect(r.result.outputs.find((o: any) => o.name === 'y')).toMatchObject({ datatype: d, shape: [2, 3] });
    expect(r.asArray('y')).toEqual(Array.from(CASES[d].binary as ArrayLike<unknown>));
  });
});
