import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grants, SCOPES, type Scope } from '../src/auth/scopes.js';
import { HttpRouteTable } from '../src/common/http-route-table.js';
import { GrpcServer, loadProtos, servedInferenceService } from '../src/serving/grpc/grpc-server.js';
import { startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

/**
 * The scope every route needs, by `METHOD path` as Fastify registered it.
 * A route the app answers that is missing here fails this suite, so no
 * route ships without someone deciding who may call it. Add a row with the
 * route. Scopes follow PRODUCT.md ("Auth").
 */
const ROUTE_SCOPES: Record<string, Scope> = {
  // auth
  'POST /api/v1/keys': 'admin',
  'GET /api/v1/keys': 'admin',
  'GET /api/v1/keys/:id': 'admin',
  'DELETE /api/v1/keys/:id': 'admin',
  // audit
  'GET /api/v1/audit': 'admin',
  // registry
  'POST /api/v1/models': 'registry:write',
  'GET /api/v1/models': 'registry:read',
  'GET /api/v1/models/:name': 'registry:read',
  'PATCH /api/v1/models/:name': 'registry:write',
  'DELETE /api/v1/models/:name': 'registry:write',
  'POST /api/v1/models/:name/versions': 'registry:write',
  'GET /api/v1/models/:name/versions': 'registry:read',
  'GET /api/v1/models/:name/versions/:version': 'registry:read',
  'PATCH /api/v1/models/:name/versions/:version': 'registry:write',
  'GET /api/v1/models/:name/versions/:version/artifact': 'registry:read',
  'GET /api/v1/models/:name/versions/:version/baseline': 'registry:read',
  'PUT /api/v1/models/:name/aliases/:alias': 'registry:write',
  'DELETE /api/v1/models/:name/aliases/:alias': 'registry:write',
  'GET /api/v1/models/:name/traffic': 'registry:read',
  'PUT /api/v1/models/:name/traffic': 'registry:write',
  'DELETE /api/v1/models/:name/traffic': 'registry:write',
  'POST /api/v1/models/:name/rollback': 'registry:write',
  'GET /api/v1/models/:name/history': 'registry:read',
  'GET /api/v1/models/:name/requests': 'registry:read',
  'GET /api/v1/models/:name/requests/:id': 'registry:read',
  'POST /api/v1/models/:name/requests': 'registry:write',
  'POST /api/v1/models/:name/requests/:id/approve': 'approve',
  'POST /api/v1/models/:name/requests/:id/reject': 'approve',
  'GET /api/v1/events': 'registry:read',
  // online features
  'POST /api/v1/feature-views': 'registry:write',
  'GET /api/v1/feature-views': 'registry:read',
  'GET /api/v1/feature-views/:name': 'registry:read',
  'DELETE /api/v1/feature-views/:name': 'registry:write',
  'PUT /api/v1/feature-views/:name/rows': 'features:write',
  'GET /api/v1/feature-views/:name/rows/:entity': 'registry:read',
  // releases
  'POST /api/v1/models/:name/rollouts': 'registry:write',
  'GET /api/v1/models/:name/rollouts': 'registry:read',
  'GET /api/v1/models/:name/rollouts/:id': 'registry:read',
  'POST /api/v1/models/:name/rollouts/:id/pause': 'registry:write',
  'POST /api/v1/models/:name/rollouts/:id/resume': 'registry:write',
  'POST /api/v1/models/:name/rollouts/:id/abort': 'registry:write',
  'POST /api/v1/models/:name/rollouts/:id/promote': 'registry:write',
  // alerting
  'GET /api/v1/alerts': 'monitor:read',
  'GET /api/v1/alerts/:id': 'monitor:read',
  'POST /api/v1/alerts/:id/ack': 'monitor:write',
  'GET /api/v1/silences': 'monitor:read',
  'POST /api/v1/silences': 'monitor:write',
  'DELETE /api/v1/silences/:id': 'monitor:write',
  'GET /api/v1/receivers': 'admin',
  'POST /api/v1/receivers': 'admin',
  'GET /api/v1/receivers/:id': 'admin',
  'PATCH /api/v1/receivers/:id': 'admin',
  'DELETE /api/v1/receivers/:id': 'admin',
  'POST /api/v1/receivers/:id/test': 'admin',
  // monitoring
  'GET /api/v1/models/:name/drift': 'monitor:read',
  // serving, /v1
  'POST /v1/models/:name/predict': 'predict',
  'POST /v1/models/:name/versions/:version/predict': 'predict',
  'POST /v1/models/:name/aliases/:alias/predict': 'predict',
  // serving, Open Inference Protocol
  'GET /v2': 'predict',
  'GET /v2/': 'predict',
  'GET /v2/models/:name': 'predict',
  'GET /v2/models/:name/versions/:version': 'predict',
  'GET /v2/models/:name/ready': 'predict',
  'GET /v2/models/:name/versions/:version/ready': 'predict',
  'POST /v2/models/:name/infer': 'predict',
  'POST /v2/models/:name/versions/:version/infer': 'predict',
  // monitoring
  'POST /v1/feedback': 'feedback',
  'GET /api/v1/models/:name/performance': 'monitor:read',
  'GET /v2/models/:name/config': 'predict',
  'GET /v2/models/:name/versions/:version/config': 'predict',
  'GET /v2/models/stats': 'predict',
  'GET /v2/models/:name/stats': 'predict',
  'GET /v2/models/:name/versions/:version/stats': 'predict',
  'POST /v2/repository/index': 'registry:write',
  'POST /v2/repository/models/:name/load': 'registry:write',
  'POST /v2/repository/models/:name/unload': 'registry:write',
};

/** Routes any valid key may call, whatever its scopes: a caller asking what its own key allows. */
const ANY_KEY = ['GET /api/v1/keys/self'];

/** Open without a key, by contract: health, metrics, the API documentation and the console's static files (the page asks for a key). */
const OPEN = [/^\/health\//, /^\/v2\/health\//, /^\/metrics$/, /^\/docs($|[/-])/, /^\/ui($|\/)/];

/** Plausible values for path parameters; ids that name nothing, so no request changes anything. */
const PARAM_VALUES: Record<string, string> = { name: 'x', alias: 'x', version: '1', id: 'aaaaaaaaaaaa', entity: 'x' };

function concretePath(url: string): string {
  return url
    .replace(/:([A-Za-z_]+)/g, (_m, p: string) => {
      const v = PARAM_VALUES[p];
      if (v === undefined) throw new Error(`no test value for path parameter :${p} in ${url}; add one to PARAM_VALUES`);
      return v;
    })
    .replace(/\*/g, 'x');
}

/** The stable code, from our envelope or from the Open Inference Protocol's. */
function codeOf(body: unknown): string | undefined {
  const b = body as { error?: { code?: string } | string; code?: string } | undefined;
  return typeof b?.error === 'object' ? b.error.code : b?.code;
}

describe('every route is closed to callers without the scope it needs', () => {
  let db: TestDatabase;
  let t: TestApp;
  let routes: { method: string; url: string; id: string }[];
  const keyFor = new Map<Scope, string>();

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
    const seen = t.app.get(HttpRouteTable).observedRoutes;
    const ids = new Set(seen.map((r) => `${r.method} ${r.url}`));
    routes = [...ids]
      // Fastify adds a HEAD for every GET; CORS would add OPTIONS twins.
      .filter((id) => {
        const [method, url] = id.split(' ');
        return !((method === 'HEAD' || method === 'OPTIONS') && ids.has(`GET ${url}`));
      })
      .map((id) => {
        const [method, url] = id.split(' ');
        return { method, url, id };
      });
    for (const scope of SCOPES) {
      const res = await t.http.post('/api/v1/keys').set(t.admin).send({ name: `only ${scope}`, scopes: [scope] }).expect(201);
      keyFor.set(scope, res.body.key);
    }
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  function send(method: string, url: string, headers: Record<string, string> = {}) {
    const req = t.http[method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete'](concretePath(url)).set(headers);
    // A body that parses, so the answer is about the key and not about JSON.
    return ['POST', 'PUT', 'PATCH'].includes(method) ? req.send({}) : req;
  }

  it('knows the scope of every route the app answers', () => {
    expect(routes.length).toBeGreaterThan(0);
    const unknown = routes.filter((r) => !OPEN.some((re) => re.test(r.url)) && !(r.id in ROUTE_SCOPES) && !ANY_KEY.includes(r.id)).map((r) => r.id);
    expect(unknown, 'routes without an expected scope: add them to ROUTE_SCOPES').toEqual([]);
  });

  it('has no row for a route the app does not answer', () => {
    const answered = new Set(routes.map((r) => r.id));
    expect([...Object.keys(ROUTE_SCOPES), ...ANY_KEY].filter((id) => !answered.has(id))).toEqual([]);
  });

  it('agrees with the scopes the raw route table declares', () => {
    for (const d of t.app.get(HttpRouteTable).routes) {
      const id = `${d.method} ${d.url}`;
      if (d.scope === null) expect(OPEN.some((re) => re.test(d.url)), `${id} is declared open`).toBe(true);
      else expect(ROUTE_SCOPES[id], id).toBe(d.scope);
    }
  });

  it('documents the scope of every protected route in the OpenAPI document', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, Record<string, unknown>>> };
    for (const [id, scope] of Object.entries(ROUTE_SCOPES)) {
      const [method, url] = id.split(' ');
      const op = doc.paths[url.replace(/:([A-Za-z_]+)/g, '{$1}')]?.[method.toLowerCase()];
      expect(op?.['x-required-scope'], id).toBe(scope);
    }
  });

  it('answers the open routes without a key', async () => {
    const open = routes.filter((r) => OPEN.some((re) => re.test(r.url)));
    expect(open.map((r) => r.url)).toEqual(expect.arrayContaining(['/health/live', '/health/ready', '/metrics', '/docs', '/docs-json']));
    for (const r of open) {
      const res = await send(r.method, r.url);
      expect([401, 403], `${r.id} answered ${res.status}`).not.toContain(res.status);
    }
  });

  it('answers the any-key routes for a key of every scope, and 401 without one', async () => {
    for (const id of ANY_KEY) {
      const [method, url] = id.split(' ');
      expect((await send(method, url)).status, id).toBe(401);
      for (const scope of SCOPES) expect((await send(method, url, { Authorization: `Bearer ${keyFor.get(scope)}` })).status, `${id} with ${scope}`).toBe(200);
    }
  });

  it('answers 401 UNAUTHENTICATED to a request without a key', async () => {
    for (const r of routes.filter((x) => x.id in ROUTE_SCOPES)) {
      const res = await send(r.method, r.url);
      expect(res.status, r.id).toBe(401);
      expect(codeOf(res.body), r.id).toBe('UNAUTHENTICATED');
    }
  });

  it('answers 403 FORBIDDEN to a key holding only scopes the route does not accept', async () => {
    for (const r of routes.filter((x) => x.id in ROUTE_SCOPES)) {
      const required = ROUTE_SCOPES[r.id];
      const refused = SCOPES.filter((s) => !grants([s], required));
      expect(refused.length, r.id).toBeGreaterThan(0);
      for (const scope of refused) {
        const res = await send(r.method, r.url, { Authorization: `Bearer ${keyFor.get(scope)}` });
        expect(res.status, `${r.id} with ${scope}`).toBe(403);
        expect(codeOf(res.body), `${r.id} with ${scope}`).toBe('FORBIDDEN');
      }
    }
  });

  it('lets a key with an accepted scope past authentication', async () => {
    for (const r of routes.filter((x) => x.id in ROUTE_SCOPES)) {
      const accepted = SCOPES.filter((s) => grants([s], ROUTE_SCOPES[r.id]));
      expect(accepted, r.id).toContain('admin');
      for (const scope of accepted) {
        const res = await send(r.method, r.url, { 'X-API-Key': keyFor.get(scope)! });
        expect([401, 403], `${r.id} with ${scope} answered ${res.status} ${JSON.stringify(res.body)}`).not.toContain(res.status);
      }
    }
  });

  it('refuses a key scoped to other models on every route that names a model, hot path included', async () => {
    const all = await t.http.post('/api/v1/keys').set(t.admin).send({ name: 'other models', scopes: [...SCOPES], models: ['other-*'] }).expect(201);
    expect(all.body.models).toEqual(['other-*']);
    const naming = routes.filter((r) => r.id in ROUTE_SCOPES && r.url.includes(':name'));
    expect(naming.map((r) => r.id)).toEqual(expect.arrayContaining(['POST /v1/models/:name/predict', 'POST /v2/models/:name/infer', 'PUT /api/v1/models/:name/aliases/:alias']));
    for (const r of naming) {
      const res = await send(r.method, r.url, { Authorization: `Bearer ${all.body.key}` });
      expect(res.status, r.id).toBe(403);
      expect(codeOf(res.body), r.id).toBe('FORBIDDEN');
    }
    // The same key passes on a model its patterns match (the model does not exist: 404, not 403).
    const res = await t.http.get('/api/v1/models/other-x').set({ Authorization: `Bearer ${all.body.key}` });
    expect(res.status).toBe(404);
    // A route that names its model in the body is checked against it too.
    const create = (name: string) => t.http.post('/api/v1/models').set({ Authorization: `Bearer ${all.body.key}` }).send({ name, task: 'regression' });
    const refused = await create('b-two');
    expect(refused.status).toBe(403);
    expect(refused.body.error.details.model).toBe('b-two');
    expect((await create('other-created')).status).toBe(201);
  });
});

/**
 * The scope of every gRPC method, and a request that names the model `x`
 * where the method names one. A method the server registers that is
 * missing here fails this suite, as a REST route does.
 */
const GRPC_METHODS: Record<string, { scope: Scope | null; request: (model: string) => object; namesModel: boolean }> = {
  'inference.GRPCInferenceService/ServerLive': { scope: null, request: () => ({}), namesModel: false },
  'inference.GRPCInferenceService/ServerReady': { scope: null, request: () => ({}), namesModel: false },
  'inference.GRPCInferenceService/ServerMetadata': { scope: 'predict', request: () => ({}), namesModel: false },
  'inference.GRPCInferenceService/ModelReady': { scope: 'predict', request: (name) => ({ name, version: '' }), namesModel: true },
  'inference.GRPCInferenceService/ModelMetadata': { scope: 'predict', request: (name) => ({ name, version: '' }), namesModel: true },
  'inference.GRPCInferenceService/ModelInfer': {
    scope: 'predict',
    request: (model_name) => ({ model_name, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 1], contents: { fp32_contents: [0] } }] }),
    namesModel: true,
  },
  'inference.GRPCInferenceService/RepositoryModelLoad': { scope: 'registry:write', request: (model_name) => ({ model_name }), namesModel: true },
  'inference.GRPCInferenceService/RepositoryModelUnload': { scope: 'registry:write', request: (model_name) => ({ model_name }), namesModel: true },
  'grpc.health.v1.Health/Check': { scope: null, request: () => ({ service: '' }), namesModel: false },
};

describe('every gRPC method is closed to callers without the scope it needs, and to keys limited to other models', () => {
  let db: TestDatabase;
  let t: TestApp;
  let inference: any;
  let health: any;
  const keyFor = new Map<Scope, string>();
  let otherModels: string;

  const unary = Object.entries(GRPC_METHODS).filter(([, m]) => m.scope !== null);

  /** The status a method answers (OK is 0), through the real grpc-js client. */
  function status(id: string, model: string, key?: string): Promise<{ code: number; modelgateCode?: string }> {
    const [service, method] = id.split('/');
    const client = service === 'grpc.health.v1.Health' ? health : inference;
    const md = new grpc.Metadata();
    if (key) md.set('authorization', `Bearer ${key}`);
    return new Promise((resolve) =>
      client[method](GRPC_METHODS[id].request(model), md, (err: grpc.ServiceError | null) =>
        resolve(err ? { code: err.code, modelgateCode: err.metadata?.get('modelgate-code')[0] as string | undefined } : { code: grpc.status.OK }),
      ),
    );
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
    const protos = loadProtos();
    const address = `127.0.0.1:${t.app.get(GrpcServer).port}`;
    inference = new protos.inference.GRPCInferenceService(address, grpc.credentials.createInsecure());
    health = new protos.grpc.health.v1.Health(address, grpc.credentials.createInsecure());
    for (const scope of SCOPES) {
      const res = await t.http.post('/api/v1/keys').set(t.admin).send({ name: `grpc ${scope}`, scopes: [scope] }).expect(201);
      keyFor.set(scope, res.body.key);
    }
    otherModels = (await t.http.post('/api/v1/keys').set(t.admin).send({ name: 'grpc other models', scopes: [...SCOPES], models: ['other-*'] }).expect(201)).body.key;
  });
  afterAll(async () => {
    inference?.close();
    health?.close();
    await t?.close();
    await db?.drop();
  });

  it('knows the scope of every method the server registers', () => {
    const protos = loadProtos();
    const served = [
      ...Object.keys(servedInferenceService(protos)).map((m) => `inference.GRPCInferenceService/${m}`),
      // Watch is a stream of Check's answer: open like Check.
      ...Object.keys(protos.grpc.health.v1.Health.service).filter((m) => m !== 'Watch').map((m) => `grpc.health.v1.Health/${m}`),
    ];
    expect(served.sort()).toEqual(Object.keys(GRPC_METHODS).sort());
  });

  it('answers the open methods without a key', async () => {
    for (const [id, m] of Object.entries(GRPC_METHODS).filter(([, x]) => x.scope === null)) expect((await status(id, 'x')).code, id).toBe(grpc.status.OK);
  });

  it('answers UNAUTHENTICATED to a call without a key or with an unknown one', async () => {
    for (const [id] of unary) {
      expect(await status(id, 'x'), id).toEqual({ code: grpc.status.UNAUTHENTICATED, modelgateCode: 'UNAUTHENTICATED' });
      expect((await status(id, 'x', `mgk_aaaaaaaaaaaa_${'b'.repeat(52)}`)).code, id).toBe(grpc.status.UNAUTHENTICATED);
    }
  });

  it('answers PERMISSION_DENIED to a key holding only scopes the method does not accept', async () => {
    for (const [id, m] of unary) {
      const refused = SCOPES.filter((s) => !grants([s], m.scope!));
      expect(refused.length, id).toBeGreaterThan(0);
      for (const scope of refused) expect(await status(id, 'x', keyFor.get(scope)), `${id} with ${scope}`).toEqual({ code: grpc.status.PERMISSION_DENIED, modelgateCode: 'FORBIDDEN' });
    }
  });

  it('lets a key with an accepted scope past admission', async () => {
    for (const [id, m] of unary) {
      for (const scope of SCOPES.filter((s) => grants([s], m.scope!))) {
        const { code } = await status(id, 'x', keyFor.get(scope));
        expect([grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED], `${id} with ${scope} answered ${code}`).not.toContain(code);
      }
    }
  });

  it('answers PERMISSION_DENIED to a key limited to other models on every method that names a model, and lets it through on its own', async () => {
    const naming = unary.filter(([, m]) => m.namesModel).map(([id]) => id);
    expect(naming).toContain('inference.GRPCInferenceService/ModelInfer');
    for (const id of naming) {
      expect(await status(id, 'b-two', otherModels), id).toEqual({ code: grpc.status.PERMISSION_DENIED, modelgateCode: 'FORBIDDEN' });
      expect(await status(id, '', otherModels), `${id} naming no model`).toEqual({ code: grpc.status.PERMISSION_DENIED, modelgateCode: 'FORBIDDEN' });
      const own = await status(id, 'other-x', otherModels);
      expect([grpc.status.UNAUTHENTICATED, grpc.status.PERMISSION_DENIED], `${id} on its own model answered ${own.code}`).not.toContain(own.code);
    }
    // A method that names no model is governed by the scope alone.
    expect((await status('inference.GRPCInferenceService/ServerMetadata', 'x', otherModels)).code).toBe(grpc.status.OK);
  });
});
