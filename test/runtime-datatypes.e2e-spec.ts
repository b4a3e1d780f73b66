import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRuntime } from '../src/serving/model-runtime.js';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { IDENTITY_DATATYPES, identityModel } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';

type Datatype = keyof typeof IDENTITY_DATATYPES;
const DATATYPES = Object.keys(IDENTITY_DATATYPES) as Datatype[];
/** Two values each type holds exactly. */
const VALUES: Record<Datatype, unknown[]> = {
  FP16: [1.5, -2],
  FP32: [1.5, -2],
  FP64: [1.5, -2],
  INT8: [-7, 100],
  INT16: [-300, 1200],
  INT32: [-70000, 5],
  INT64: [-3, 9],
  UINT8: [0, 255],
  UINT16: [7, 65535],
  UINT32: [4_000_000_000, 1],
  UINT64: [3, 9],
  BOOL: [true, false],
};

describe('warm-up and inference for every datatype of the V2 table', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db, env: { MODELGATE_MAX_LOADED_VERSIONS: '32' } });
    for (const dt of DATATYPES) {
      const name = `id-${dt.toLowerCase()}`;
      await createModel(t, name, 'regression');
      // The four tabular types read named features; the others are plain tensors.
      const tabular = ['FP32', 'FP64', 'INT32', 'INT64'].includes(dt);
      await uploadOk(t, name, { file: identityModel(dt), ...(tabular ? { metadata: { feature_names: ['x'] } } : {}) });
    }
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it.each(DATATYPES)('loads a version whose input is %s once it is routed, and infers through it', async (dt) => {
    const name = `id-${dt.toLowerCase()}`;
    await setAlias(t, name, 'production', 1);
    const runtime = t.app.get(ModelRuntime);
    expect(runtime.isLoaded(name, 1), JSON.stringify(runtime.lastFailure(name, 1))).toBe(true);
    const res = await inject(t, 'POST', `/v2/models/${name}/infer`, { inputs: [{ name: 'x', shape: [2, 1], datatype: dt, data: VALUES[dt] }] });
    expect(res.statusCode, res.body).toBe(200);
    const y = res.json().outputs.find((o: { name: string }) => o.name === 'y');
    expect(y).toMatchObject({ datatype: dt, shape: [2, 1] });
    expect(y.data).toEqual(VALUES[dt]);
  });
});
