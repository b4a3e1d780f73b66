import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { OnlineFeatureResolver } from '../src/features/online-feature-resolver.js';
import { createModel, fixture, uploadOk, uploadVersion } from './support/registry.js';

const BC = fixture('breast_cancer_xgb.onnx');
const VIEW = { name: 'tumour_profile', entities: ['patient_id'], features: { mean_radius: 'float', mean_texture: 'float', site: 'string' }, ttl_s: 3600 };
const BLOCK = {
  timeout_ms: 20,
  entities: ['patient_id'],
  features: { mean_radius: 'tumour_profile:mean_radius', mean_texture: { ref: 'tumour_profile:mean_texture', on_missing: 'default', default: 0 } },
};

describe('a version declares its online features at upload', () => {
  let db: TestDatabase;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
    await t.http.post('/api/v1/feature-views').set(t.admin).send(VIEW).expect(201);
    await createModel(t, 'tumour');
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('stores the block in its normal form and answers it on the version; a version without one answers null', async () => {
    const v = await uploadOk(t, 'tumour', { file: BC, metadata: { online_features: BLOCK } });
    const normal = {
      timeout_ms: 20,
      entities: ['patient_id'],
      features: { mean_radius: { ref: 'tumour_profile:mean_radius', on_missing: 'fail' }, mean_texture: { ref: 'tumour_profile:mean_texture', on_missing: 'default', default: 0 } },
    };
    expect(v.online_features).toEqual(normal);
    const got = await t.http.get(`/api/v1/models/tumour/versions/${v.version}`).set(t.admin).expect(200);
    expect(got.body.online_features).toEqual(normal);
    const list = await t.http.get('/api/v1/models/tumour/versions').set(t.admin).expect(200);
    expect(list.body.versions[0].online_features).toEqual(normal);
    const plain = await uploadOk(t, 'tumour', { file: BC });
    expect(plain.online_features).toBeNull();
  });

  it.each([
    ['a feature the model does not have', { ...BLOCK, features: { tumour_size: 'tumour_profile:mean_radius' } }, 'metadata.online_features.features.tumour_size', /not one of the model's features/],
    ['a view that does not exist', { ...BLOCK, features: { mean_radius: 'nope:mean_radius' } }, 'metadata.online_features.features.mean_radius', /feature view "nope"/],
    ['a feature the view does not have', { ...BLOCK, features: { mean_area: 'tumour_profile:mean_area' } }, 'metadata.online_features.features.mean_area', /has no feature "mean_area"/],
    ['entities that are not the view keys', { ...BLOCK, entities: ['customer_id'] }, 'metadata.online_features.entities', /keyed by patient_id/],
    ['a default of the wrong type', { ...BLOCK, features: { mean_radius: { ref: 'tumour_profile:mean_radius', on_missing: 'default', default: 'big' } } }, 'metadata.online_features.features.mean_radius.default', /must be a float/],
    ['an unknown policy', { ...BLOCK, features: { mean_radius: { ref: 'tumour_profile:mean_radius', on_missing: 'zero' } } }, 'online_features.features.mean_radius.on_missing', /fail, default, missing/],
    ['a time budget out of bounds', { ...BLOCK, timeout_ms: 60_000 }, 'online_features.timeout_ms', /at most 10000/],
  ])('refuses %s with 400 VALIDATION_FAILED naming the field, storing nothing', async (_what, block, field, message) => {
    const before = (await t.http.get('/api/v1/models/tumour').set(t.admin).expect(200)).body.latest_version;
    const res = await uploadVersion(t, 'tumour', { file: BC, metadata: { online_features: block } });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.field).toBe(field);
    expect(res.body.error.message).toMatch(message);
    expect((await t.http.get('/api/v1/models/tumour').set(t.admin).expect(200)).body.latest_version).toBe(before);
  });

  it('fills a batch through the app resolver from the block the version answers, with rows written over HTTP', async () => {
    const v = await uploadOk(t, 'tumour', { file: BC, metadata: { online_features: BLOCK } });
    await t.http
      .put('/api/v1/feature-views/tumour_profile/rows')
      .set(t.admin)
      .send({ rows: [{ patient_id: 'p-1', mean_radius: 14.2, mean_texture: 19.5, event_time: new Date().toISOString() }] })
      .expect(200);
    const resolver = t.app.get(OnlineFeatureResolver);
    const batch = await resolver.fill('tumour', v.version, v.online_features, [{ patient_id: 'p-1', mean_area: 600 }, { patient_id: 'p-2', mean_radius: 11 }]);
    expect(batch.reads).toBe(1);
    expect(batch.rows[0].values).toEqual({ patient_id: 'p-1', mean_area: 600, mean_radius: 14.2, mean_texture: 19.5 });
    expect(batch.rows[1].features).toEqual({ mean_radius: { value: 11, source: 'sent', age_ms: null }, mean_texture: { value: 0, source: 'default', age_ms: null } });
    const err = await resolver.fill('tumour', v.version, v.online_features, [{ patient_id: 'p-2' }]).catch((e) => e);
    expect(err.code).toBe('FEATURE_MISSING');
    const metrics = await t.http.get('/metrics').set(t.admin).expect(200);
    expect(metrics.text).toMatch(/^modelgate_feature_lookups_total\{view="tumour_profile",outcome="hit"\} 2$/m);
    expect(metrics.text).toMatch(/^modelgate_feature_lookups_total\{view="tumour_profile",outcome="missing"\} 3$/m);
  });
});
