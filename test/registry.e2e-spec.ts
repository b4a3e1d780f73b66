import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';
import { zipMapClassifier } from './support/onnx-builder.js';
import { createModel, fixture, fixtureBytes, listObjects, setAlias, uploadOk, uploadVersion } from './support/registry.js';
import { startS3, type TestS3 } from './support/s3.js';

const BC = 'breast_cancer_xgb';

describe('model registry on Postgres and S3', () => {
  let db: TestDatabase;
  let s3: TestS3;
  let t: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    s3 = await startS3();
    t = await startTestApp({ db, s3 });
  });
  afterAll(async () => {
    await t?.close();
    await s3?.stop();
    await db?.drop();
  });

  describe('models', () => {
    it('creates a model and reads it back in snake_case', async () => {
      const m = await createModel(t, 'credit', 'binary_classification', {
        description: 'loan default',
        owner: 'risk-team',
        tags: { team: 'risk', tier: 'gold' },
        monitoring_policy: { psi_threshold: 0.25, min_samples: 300 },
      });
      expect(m).toMatchObject({
        name: 'credit',
        task: 'binary_classification',
        owner: 'risk-team',
        tags: { team: 'risk', tier: 'gold' },
        monitoring_policy: { psi_threshold: 0.25, min_samples: 300 },
        latest_version: 0,
        aliases: {},
        created_by: 'admin-token',
      });
      expect(new Date(m.created_at).toISOString()).toBe(m.created_at);
      const got = await t.http.get('/api/v1/models/credit').set(t.admin).expect(200);
      expect(got.body.name).toBe('credit');
    });

    it('refuses a duplicate name with 409 MODEL_EXISTS', async () => {
      await createModel(t, 'dupe');
      const res = await t.http.post('/api/v1/models').set(t.admin).send({ name: 'dupe', task: 'regression' }).expect(409);
      expect(res.body.error.code).toBe('MODEL_EXISTS');
    });

    it('refuses a bad name, task or unknown field with a 400 naming the field', async () => {
      const bad = await t.http.post('/api/v1/models').set(t.admin).send({ name: 'Bad Name', task: 'regression' }).expect(400);
      expect(bad.body.error).toMatchObject({ code: 'VALIDATION_FAILED', details: { field: 'name' } });
      const task = await t.http.post('/api/v1/models').set(t.admin).send({ name: 'ok', task: 'ranking' }).expect(400);
      expect(task.body.error.details.field).toBe('task');
      const extra = await t.http.post('/api/v1/models').set(t.admin).send({ name: 'ok', task: 'regression', colour: 1 }).expect(400);
      expect(extra.body.error.message).toMatch(/colour/);
      const malformed = await t.http.post('/api/v1/models').set(t.admin).set('content-type', 'application/json').send('{"name":').expect(400);
      expect(malformed.body.error.code).toBe('MALFORMED_JSON');
    });

    it('lists models a page at a time and filters by tag', async () => {
      for (const n of ['page-a', 'page-b', 'page-c']) await createModel(t, n, 'regression', { tags: { suite: 'paging', name: n } });
      const first = await t.http.get('/api/v1/models?tag=suite:paging&limit=2').set(t.admin).expect(200);
      expect(first.body.models.map((m: any) => m.name)).toEqual(['page-a', 'page-b']);
      const second = await t.http.get(`/api/v1/models?tag=suite:paging&limit=2&cursor=${first.body.next_cursor}`).set(t.admin).expect(200);
      expect(second.body.models.map((m: any) => m.name)).toEqual(['page-c']);
      expect(second.body.next_cursor).toBeNull();
      const byKey = await t.http.get('/api/v1/models?tag=tier').set(t.admin).expect(200);
      expect(byKey.body.models.map((m: any) => m.name)).toEqual(['credit']);
    });

    it('patches description, owner, tags and monitoring policy', async () => {
      const res = await t.http
        .patch('/api/v1/models/credit')
        .set(t.admin)
        .send({ description: 'v2 desc', tags: { team: 'risk' }, monitoring_policy: { window_seconds: 60 } })
        .expect(200);
      expect(res.body).toMatchObject({ description: 'v2 desc', tags: { team: 'risk' }, monitoring_policy: { window_seconds: 60 }, owner: 'risk-team' });
      const bad = await t.http.patch('/api/v1/models/credit').set(t.admin).send({ monitoring_policy: { psi_threshold: -1 } }).expect(400);
      expect(bad.body.error.details.field).toBe('monitoring_policy.psi_threshold');
    });

    it('answers 404 MODEL_NOT_FOUND for an unknown model', async () => {
      const res = await t.http.get('/api/v1/models/nope').set(t.admin).expect(404);
      expect(res.body.error.code).toBe('MODEL_NOT_FOUND');
    });
  });

  describe('versions', () => {
    it('uploads the fixture with a CSV baseline and metadata, reading feature names from the ONNX graph', async () => {
      await createModel(t, 'bc');
      const v = await uploadOk(t, 'bc', {
        file: fixture(`${BC}.onnx`),
        baseline: fixture(`${BC}.test.csv`),
        metadata: { metrics: { auc: 0.997 }, lineage: { run_id: 'run-1', git_commit: 'abc123' }, tags: { framework: 'xgboost' } },
      });
      expect(v).toMatchObject({
        model: 'bc',
        version: 1,
        status: 'ready',
        metrics: { auc: 0.997 },
        lineage: { run_id: 'run-1', git_commit: 'abc123' },
        label_column: 'label',
        created_by: 'admin-token',
      });
      expect(v.feature_names).toHaveLength(30);
      expect(v.feature_names[0]).toBe('mean_radius');
      expect(v.signature.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 30] }]);
      expect(v.signature.outputs.map((o: any) => o.name)).toEqual(['label', 'probabilities']);
      const sha = createHash('sha256').update(fixtureBytes(`${BC}.onnx`)).digest('hex');
      expect(v.artifact).toEqual({ sha256: sha, size_bytes: fixtureBytes(`${BC}.onnx`).length });
      // The model and the baseline were spooled to scratch files, removed once stored.
      expect(fs.readdirSync(path.join(t.dataDir, 'scratch'))).toEqual([]);

      const b = await t.http.get('/api/v1/models/bc/versions/1/baseline').set(t.admin).expect(200);
      expect(b.body.baseline.row_count).toBe(171);
      expect(Object.keys(b.body.baseline.features)).toHaveLength(30);
      expect(b.body.baseline.features.mean_radius.type).toBe('numeric');
      expect(b.body.baseline.prediction.type).toBe('numeric');
      expect(b.body.baseline.prediction.count).toBe(171);
    });

    it('serves the artifact bytes with their sha256 in a header', async () => {
      const res = await t.http.get('/api/v1/models/bc/versions/1/artifact').set(t.admin).buffer(true).parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
      expect(res.status).toBe(200);
      expect(Buffer.compare(res.body, fixtureBytes(`${BC}.onnx`))).toBe(0);
      expect(res.headers['x-artifact-sha256']).toBe(createHash('sha256').update(res.body).digest('hex'));
    });

    it('gives 20 concurrent uploads to one model 20 distinct consecutive numbers', async () => {
      await createModel(t, 'busy');
      const results = await Promise.all(
        Array.from({ length: 20 }, () => uploadVersion(t, 'busy', { file: fixture(`${BC}.onnx`) })),
      );
      for (const r of results) expect(r.status, JSON.stringify(r.body)).toBe(201);
      expect(results.map((r) => r.body.version).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
      const m = await t.http.get('/api/v1/models/busy').set(t.admin).expect(200);
      expect(m.body.latest_version).toBe(20);
      expect(await listObjects(s3, 'models/busy/')).toHaveLength(20);
    });

    it('lists versions newest first and pages with before', async () => {
      const res = await t.http.get('/api/v1/models/busy/versions?limit=5&before=18').set(t.admin).expect(200);
      expect(res.body.versions.map((v: any) => v.version)).toEqual([17, 16, 15, 14, 13]);
    });
  });

  describe('refused uploads leave nothing behind', () => {
    const expectNothingStored = async (model: string) => {
      const m = await t.http.get(`/api/v1/models/${model}`).set(t.admin).expect(200);
      expect(m.body.latest_version).toBe(0);
      const vs = await t.http.get(`/api/v1/models/${model}/versions`).set(t.admin).expect(200);
      expect(vs.body.versions).toEqual([]);
      expect(await listObjects(s3, `models/${model}/`)).toEqual([]);
      const gc = await withClient(db.url, (c) => c.query(`SELECT key FROM artifact_gc WHERE key LIKE $1`, [`models/${model}/%`]));
      expect(gc.rows).toEqual([]);
    };

    it('refuses a file that is not ONNX with 422 INVALID_MODEL', async () => {
      await createModel(t, 'junk');
      const res = await uploadVersion(t, 'junk', { file: Buffer.from('this is not a model at all') });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('INVALID_MODEL');
      await expectNothingStored('junk');
    });

    it('refuses a truncated ONNX file', async () => {
      const bytes = fixtureBytes(`${BC}.onnx`);
      const res = await uploadVersion(t, 'junk', { file: bytes.subarray(0, Math.floor(bytes.length / 2)) });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('INVALID_MODEL');
      await expectNothingStored('junk');
    });

    it('refuses feature names that do not match the input width', async () => {
      const res = await uploadVersion(t, 'junk', { file: fixture(`${BC}.onnx`), metadata: { feature_names: ['a', 'b', 'c'] } });
      expect(res.status).toBe(422);
      expect(res.body.error).toMatchObject({ code: 'FEATURE_MISMATCH', details: { expected_width: 30, feature_count: 3 } });
      await expectNothingStored('junk');
    });

    it('refuses a baseline with a column that is not a feature, naming it', async () => {
      const csv = fixtureBytes(`${BC}.test.csv`).toString('utf8').replace(/^mean_radius,/, 'radius_typo,');
      const res = await uploadVersion(t, 'junk', { file: fixture(`${BC}.onnx`), baseline: csv });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/radius_typo/);
      await expectNothingStored('junk');
    });

    it('refuses metadata that is not JSON, and unknown multipart fields', async () => {
      const res = await uploadVersion(t, 'junk', { file: fixture(`${BC}.onnx`), metadata: '{nope' });
      expect(res.status).toBe(400);
      expect(res.body.error.details.field).toBe('metadata');
      const missing = await uploadVersion(t, 'junk', { metadata: {} });
      expect(missing.status).toBe(400);
      expect(missing.body.error.details.field).toBe('file');
      await expectNothingStored('junk');
    });

    it('refuses a model file over the size limit with 413', async () => {
      const small = await startTestApp({ db, s3, env: { MODELGATE_MAX_UPLOAD_BYTES: '50000' } });
      try {
        const res = await uploadVersion(small, 'junk', { file: fixture(`${BC}.onnx`) });
        expect(res.status).toBe(413);
        expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
      } finally {
        await small.close();
      }
      await expectNothingStored('junk');
    });

    it('refuses a baseline over its limit with 413 and leaves no scratch file, streamed to disk rather than held', async () => {
      const small = await startTestApp({ db, s3, env: { MODELGATE_MAX_BASELINE_BYTES: '4096' } });
      const scratch = path.join(small.dataDir, 'scratch');
      try {
        const csv = fs.readFileSync(fixture(`${BC}.test.csv`), 'utf8');
        expect(Buffer.byteLength(csv)).toBeGreaterThan(4096);
        const res = await uploadVersion(small, 'junk', { file: fixture(`${BC}.onnx`), baseline: csv });
        expect(res.status).toBe(413);
        expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
        const twice = await small.http
          .post('/api/v1/models/junk/versions')
          .set(small.admin)
          .attach('baseline', Buffer.from('a,b\n1,2\n'), 'b1.csv')
          .attach('baseline', Buffer.from('a,b\n1,2\n'), 'b2.csv')
          .attach('file', fs.readFileSync(fixture(`${BC}.onnx`)), 'model.onnx');
        expect(twice.status).toBe(400);
        expect(twice.body.error.message).toMatch(/"baseline" given twice/);
        expect(fs.existsSync(scratch) ? fs.readdirSync(scratch) : []).toEqual([]);
      } finally {
        await small.close();
      }
      await expectNothingStored('junk');
    });

    it('refuses a scikit-learn ZipMap output, saying to export with zipmap=False', async () => {
      const res = await uploadVersion(t, 'junk', { file: zipMapClassifier({ featureNames: ['a', 'b', 'c'] }) });
      expect(res.status).toBe(422);
      expect(res.body.error.code).toBe('INVALID_MODEL');
      expect(res.body.error.message).toMatch(/zipmap=False/);
      await expectNothingStored('junk');
    });

    it('removes the stored object when the database write fails after it was written', async () => {
      await createModel(t, 'faulty');
      await withClient(db.url, async (c) => {
        await c.query(`CREATE FUNCTION fail_insert() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql`);
        await c.query(`CREATE TRIGGER fail_insert BEFORE INSERT ON model_versions FOR EACH ROW EXECUTE FUNCTION fail_insert()`);
      });
      try {
        const res = await uploadVersion(t, 'faulty', { file: fixture(`${BC}.onnx`) });
        expect(res.status).toBe(500);
        expect(res.body.error.code).toBe('INTERNAL');
        await expectNothingStored('faulty');
      } finally {
        await withClient(db.url, async (c) => {
          await c.query('DROP TRIGGER fail_insert ON model_versions');
          await c.query('DROP FUNCTION fail_insert()');
        });
      }
      await uploadOk(t, 'faulty', { file: fixture(`${BC}.onnx`) });
    });
  });

  it('builds categorical and numeric sketches from a validation CSV with a label column', async () => {
    await createModel(t, 'loan');
    const expected = JSON.parse(fixtureBytes('loan_default_xgb.expected.json').toString('utf8'));
    const v = await uploadOk(t, 'loan', {
      file: fixture('loan_default_xgb.onnx'),
      baseline: fixture('loan_default_xgb.valid.csv'),
      metadata: { feature_names: expected.feature_names, categorical_features: ['region', 'product'], metrics: { auc: expected.valid_auc } },
    });
    expect(v.categorical_features).toEqual(['region', 'product']);
    const b = (await t.http.get('/api/v1/models/loan/versions/1/baseline').set(t.admin).expect(200)).body.baseline;
    expect(b.row_count).toBe(6000);
    expect(b.features.region.type).toBe('categorical');
    const regions = Object.values(b.features.region.frequencies as Record<string, number>).reduce((a, c) => a + c, 0);
    expect(regions + b.features.region.missing).toBe(6000);
    expect(Object.keys(b.features.region.frequencies).every((k) => /^\d+$/.test(k))).toBe(true);
    expect(b.features.income).toMatchObject({ type: 'numeric' });
    expect(b.features.income.edges).toHaveLength(11);
    expect(b.features.income.counts.reduce((a: number, c: number) => a + c, 0)).toBe(b.features.income.count);
    expect(b.label).toBeDefined();
    // The prediction baseline is the model's own scores on the rows: its mean matches the fixture's.
    const meanP1 = expected.p1.reduce((a: number, c: number) => a + c, 0) / expected.p1.length;
    expect(Math.abs(b.prediction.mean - meanP1)).toBeLessThan(0.05);
  });

  describe('aliases and history', () => {
    it('moves aliases transactionally and records actor, from, to and reason', async () => {
      await uploadOk(t, 'bc', { file: fixture(`${BC}.onnx`) });
      const first = await setAlias(t, 'bc', 'production', 1, 'first release');
      expect(first).toMatchObject({ version: 1, previous_version: null, revision: 1, changed: true });
      const second = await setAlias(t, 'bc', 'production', 2, 'retrained');
      expect(second).toMatchObject({ version: 2, previous_version: 1, revision: 2 });
      await setAlias(t, 'bc', 'staging', 1);
      const h = await t.http.get('/api/v1/models/bc/history').set(t.admin).expect(200);
      expect(h.body.revisions.map((r: any) => [r.revision, r.change, r.alias])).toEqual([
        [3, 'alias_set', 'staging'],
        [2, 'alias_set', 'production'],
        [1, 'alias_set', 'production'],
      ]);
      expect(h.body.revisions[1]).toMatchObject({
        actor: 'admin-token',
        reason: 'retrained',
        before: { aliases: { production: 1 }, traffic: null },
        after: { aliases: { production: 2 }, traffic: null },
      });
      const m = await t.http.get('/api/v1/models/bc').set(t.admin).expect(200);
      expect(m.body.aliases).toEqual({ production: 2, staging: 1 });
    });

    it('does not add a revision when an alias is set to where it already points', async () => {
      const again = await setAlias(t, 'bc', 'production', 2);
      expect(again).toMatchObject({ changed: false, revision: 3 });
    });

    it('refuses an alias to a version that does not exist', async () => {
      const res = await t.http.put('/api/v1/models/bc/aliases/production').set(t.admin).send({ version: 99 }).expect(404);
      expect(res.body.error.code).toBe('VERSION_NOT_FOUND');
    });

    it('refuses to archive an aliased version with 409, and archives a free one', async () => {
      const res = await t.http.patch('/api/v1/models/bc/versions/2').set(t.admin).send({ status: 'archived' }).expect(409);
      expect(res.body.error).toMatchObject({ code: 'VERSION_IN_USE', details: { used_by: ['alias "production"'] } });
      await uploadOk(t, 'bc', { file: fixture(`${BC}.onnx`) });
      const ok = await t.http.patch('/api/v1/models/bc/versions/3').set(t.admin).send({ status: 'archived', tags: { note: 'bad' } }).expect(200);
      expect(ok.body).toMatchObject({ status: 'archived', tags: { note: 'bad' } });
      const alias = await t.http.put('/api/v1/models/bc/aliases/canary').set(t.admin).send({ version: 3 }).expect(409);
      expect(alias.body.error.code).toBe('VERSION_ARCHIVED');
    });

    it('deletes an alias and records it', async () => {
      const res = await t.http.delete('/api/v1/models/bc/aliases/staging').set(t.admin).send({ reason: 'done' }).expect(200);
      expect(res.body).toMatchObject({ previous_version: 1, revision: 4 });
      const gone = await t.http.delete('/api/v1/models/bc/aliases/staging').set(t.admin).expect(404);
      expect(gone.body.error.code).toBe('ALIAS_NOT_FOUND');
    });

    it('refuses to delete a model while an alias points into it, then deletes it with its artifacts', async () => {
      const res = await t.http.delete('/api/v1/models/bc').set(t.admin).expect(409);
      expect(res.body.error.code).toBe('MODEL_IN_USE');
      await t.http.delete('/api/v1/models/bc/aliases/production').set(t.admin).expect(200);
      expect((await listObjects(s3, 'models/bc/')).length).toBe(3);
      await t.http.delete('/api/v1/models/bc').set(t.admin).expect(204);
      await t.http.get('/api/v1/models/bc').set(t.admin).expect(404);
      expect(await listObjects(s3, 'models/bc/')).toEqual([]);
    });
  });

  describe('traffic policy and rollback', () => {
    beforeAll(async () => {
      await createModel(t, 'ab');
      for (let i = 0; i < 3; i++) await uploadOk(t, 'ab', { file: fixture(`${BC}.onnx`) });
      await setAlias(t, 'ab', 'production', 1);
      await setAlias(t, 'ab', 'staging', 2);
    });

    it('stores a weighted policy with sticky key, shadow, fallback and timeout as a new revision', async () => {
      const policy = {
        routes: [
          { version: 1, weight: 90 },
          { alias: 'staging', weight: 10, name: 'challenger' },
        ],
        sticky: 'header:x-user-id',
        shadow: [3],
        fallback: 1,
        timeout_ms: 250,
        reason: 'A/B test of v2',
      };
      const res = await t.http.put('/api/v1/models/ab/traffic').set(t.admin).send(policy).expect(200);
      expect(res.body).toMatchObject({ revision: 3, changed: true });
      const got = await t.http.get('/api/v1/models/ab/traffic').set(t.admin).expect(200);
      const { reason: _r, ...stored } = policy;
      expect(got.body.policy).toEqual(stored);
      expect(got.body.revision).toBe(3);
    });

    it('answers a PUT of the policy already in force with its current revision and appends nothing', async () => {
      // jsonb hands the stored policy back with its keys in another order than they were sent.
      const policy = {
        routes: [
          { version: 1, weight: 90 },
          { alias: 'staging', weight: 10, name: 'challenger' },
        ],
        sticky: 'header:x-user-id',
        shadow: [3],
        fallback: 1,
        timeout_ms: 250,
      };
      const again = await t.http.put('/api/v1/models/ab/traffic').set(t.admin).send({ ...policy, reason: 'same again' }).expect(200);
      expect(again.body).toMatchObject({ revision: 3, changed: false });
      const h = await t.http.get('/api/v1/models/ab/history').set(t.admin).expect(200);
      expect(h.body.revisions.map((r: any) => r.revision)).toEqual([3, 2, 1]);
      const swapped = await t.http.put('/api/v1/models/ab/traffic').set(t.admin).send({ ...policy, routes: [...policy.routes].reverse() }).expect(200);
      expect(swapped.body).toMatchObject({ revision: 4, changed: true });
      const back = await t.http.post('/api/v1/models/ab/rollback').set(t.admin).send({}).expect(200);
      expect(back.body).toMatchObject({ revision: 5, restored_revision: 3 });
    });

    it('refuses weights that do not sum to 100 and routes to unknown versions or aliases', async () => {
      const sum = await t.http.put('/api/v1/models/ab/traffic').set(t.admin).send({ routes: [{ version: 1, weight: 50 }] }).expect(400);
      expect(sum.body.error.message).toMatch(/sum to 100/);
      const missing = await t.http
        .put('/api/v1/models/ab/traffic')
        .set(t.admin)
        .send({ routes: [{ version: 1, weight: 50 }, { version: 9, weight: 50 }] })
        .expect(404);
      expect(missing.body.error.code).toBe('VERSION_NOT_FOUND');
      const alias = await t.http
        .put('/api/v1/models/ab/traffic')
        .set(t.admin)
        .send({ routes: [{ version: 1, weight: 50 }, { alias: 'nope', weight: 50 }] })
        .expect(422);
      expect(alias.body.error).toMatchObject({ code: 'INVALID_TRAFFIC_POLICY', details: { field: 'routes.1.alias' } });
      const h = await t.http.get('/api/v1/models/ab/history').set(t.admin).expect(200);
      expect(h.body.revisions[0].revision).toBe(5);
    });

    it('refuses to delete an alias the policy routes', async () => {
      const res = await t.http.delete('/api/v1/models/ab/aliases/staging').set(t.admin).expect(409);
      expect(res.body.error.code).toBe('ALIAS_IN_USE');
    });

    it('rolls back to the previous revision in one call, and back again on a second call', async () => {
      const r1 = await t.http.post('/api/v1/models/ab/rollback').set(t.admin).send({ reason: 'challenger misbehaves' }).expect(200);
      expect(r1.body).toMatchObject({ revision: 6, restored_revision: 4 });
      expect(r1.body.after.traffic.routes[0]).toMatchObject({ alias: 'staging' });
      const r2 = await t.http.post('/api/v1/models/ab/rollback').set(t.admin).send({}).expect(200);
      expect(r2.body).toMatchObject({ revision: 7, restored_revision: 5 });
      expect(r2.body.after.traffic.routes).toHaveLength(2);
      const r3 = await t.http.post('/api/v1/models/ab/rollback').set(t.admin).send({ to_revision: 1 }).expect(200);
      expect(r3.body.after).toEqual({ aliases: { production: 1 }, traffic: null });
      const h = await t.http.get('/api/v1/models/ab/history?limit=3').set(t.admin).expect(200);
      expect(h.body.revisions.map((r: any) => [r.revision, r.change, r.restored_revision])).toEqual([
        [8, 'rollback', 1],
        [7, 'rollback', 5],
        [6, 'rollback', 4],
      ]);
    });

    it('refuses a rollback with nothing before it', async () => {
      await createModel(t, 'fresh');
      const res = await t.http.post('/api/v1/models/fresh/rollback').set(t.admin).send({}).expect(409);
      expect(res.body.error.code).toBe('NOTHING_TO_ROLL_BACK');
    });
  });

  it('documents the registry routes in the OpenAPI document', async () => {
    const doc = await t.http.get('/docs-json').expect(200);
    for (const p of ['/api/v1/models', '/api/v1/models/{name}/versions', '/api/v1/models/{name}/aliases/{alias}', '/api/v1/models/{name}/rollback']) {
      expect(Object.keys(doc.body.paths)).toContain(p);
    }
  });
});
