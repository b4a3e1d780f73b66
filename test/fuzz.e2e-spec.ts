import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpRouteTable } from '../src/common/http-route-table.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { changedTables, type FuzzRequest, judge, requestArbitrary, send, snapshot } from './support/fuzz-cases.mjs';
import { createModel, fixture, setAlias, uploadOk } from './support/registry.js';

/** Requests in the short run; `npm run bench:fuzz` sends 100,000. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 2_000);

describe('fuzzed requests over every route', () => {
  let db: TestDatabase;
  let t: TestApp;
  let port: number;
  let client: pg.Client;
  let routes: { method: string; url: string }[];

  beforeAll(async () => {
    db = await createTestDatabase();
    // One address sending a fifth of its requests with bad keys would soon be
    // refused everything (429), hiding the routes: the limits have their own tests.
    t = await startTestApp({ db, env: { MODELGATE_RATE_LIMIT_AUTH_FAILURES_PER_S: '0', MODELGATE_RATE_LIMIT_WRITE_PER_S: '0' } });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as { port: number }).port;
    await createModel(t, 'credit');
    await uploadOk(t, 'credit', { file: fixture('breast_cancer_xgb.onnx') });
    await setAlias(t, 'credit', 'production', 1);
    client = new pg.Client({ connectionString: db.url });
    await client.connect();
    // Every route Fastify answers: Nest controllers, the route table, docs.
    const seen = t.app.get(HttpRouteTable).observedRoutes.filter((r) => r.method !== 'HEAD');
    routes = [...new Map(seen.map((r) => [`${r.method} ${r.url}`, r])).values()];
  });
  afterAll(async () => {
    await client?.end();
    await t?.close();
    await db?.drop();
  });

  it('walks Nest routes and the route table alike', () => {
    const keys = routes.map((r) => `${r.method} ${r.url}`);
    expect(keys).toContain('POST /api/v1/models/:name/versions');
    expect(keys).toContain('POST /v1/models/:name/predict');
    expect(keys).toContain('POST /v2/models/:name/infer');
  });

  it('answers every request in the envelope with a stable code, never a 5xx but an honest 503, and a refusal changes nothing stored', async () => {
    let state = await snapshot(client);
    const tally: Record<string, number> = {};
    const out = await fc.check(
      fc.asyncProperty(requestArbitrary(routes, { adminToken: ADMIN_TOKEN }), async (req: FuzzRequest) => {
        const res = await send(port, req);
        tally[String(res.status)] = (tally[String(res.status)] ?? 0) + 1;
        const problem = judge(req, res);
        if (problem) throw new Error(`${req.method} ${req.path.slice(0, 200)}: ${problem}`);
        const wrote = res.status >= 200 && res.status < 300 && req.method !== 'GET';
        if (req.method === 'GET' && res.status < 400) return;
        const now = await snapshot(client);
        if (!wrote) {
          const changed = changedTables(state, now);
          if (changed.length) throw new Error(`refused with ${res.status}, yet ${changed.join(', ')} changed`);
        }
        state = now;
      }),
      { numRuns: RUNS, seed: Number(process.env.FUZZ_SEED ?? 20261201) },
    );
    // fast-check's own report prints the whole (often huge) request: keep it readable.
    if (out.failed) {
      const req = out.counterexample?.[0] as FuzzRequest | undefined;
      const shown = req ? JSON.stringify({ ...req, path: req.path.slice(0, 300), body: req.body?.slice(0, 300) }) : 'none';
      throw new Error(`after ${out.numRuns} runs (seed ${out.seed}, shrunk ${out.numShrinks}x): ${String((out.errorInstance as Error)?.message).slice(0, 600)}\n${shown}`);
    }
    console.log(`fuzz: ${out.numRuns} requests, answers by status ${JSON.stringify(tally)}`);
    // The run reached past auth and validation: not everything was one refusal.
    expect(Object.keys(tally).length).toBeGreaterThan(4);
    expect((await t.http.get('/health/live')).status).toBe(200);
    // Accepted writes may have moved or removed 'credit'; a fresh model must still serve.
    await createModel(t, 'after-fuzz');
    await uploadOk(t, 'after-fuzz', { file: fixture('breast_cancer_xgb.onnx') });
    await setAlias(t, 'after-fuzz', 'production', 1);
    const p = await t.http.post('/v1/models/after-fuzz/predict').set(t.admin).send({ inputs: [new Array(30).fill(0.1)] });
    expect(p.status).toBe(200);
  }, 240_000);
});
