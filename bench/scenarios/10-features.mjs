// Scenario 10: online feature look-ups. /v1 at batch 1 on the fixture (30
// features) where 10 features (the `worst_*` ones) are looked up in a feature
// view by `customer_id` and 20 are sent, against the same model and rows with
// all 30 sent to a version without an `online_features` block (a sent value
// wins over the store, so a version with a block is not the baseline).
//
// Set up through the HTTP API only: two feature views (`bench_feat_redis`,
// `bench_feat_pg`; the 10 features typed `float`, a 30-day TTL), rows for
// BENCH_FEATURE_ENTITIES (10,000) entities `c-<n>` holding the fixture's test
// row n mod BENCH_ROWS, loaded with PUT /api/v1/feature-views/{name}/rows in
// batches on each store, and three models: `bcf_sent` (no block),
// `bcf_redis` and `bcf_pg` (a block mapping the 10 features to their view).
// A deployment has one store (MODELGATE_FEATURE_STORE), so each round starts
// Modelgate twice: on a redis-server this scenario starts on a free loopback
// port (all-sent and Redis look-up), and on PostgreSQL (its look-up). Before
// any load, every server answers a few entities the same with a look-up as
// with all sent (1e-5), and as the fixture's expected.json says.
//
// Peaks: closed loop, the bench's load generator and connections, BENCH_ROUNDS
// interleaved rounds (servers and runs in swapped order in even rounds),
// medians. After the last round: /v1 all-sent and Redis look-up paced at
// BENCH_RATE_PCT (80) % of the all-sent peak, the same number of rounds.
// Every run reads modelgate_feature_lookups_total{outcome="hit"} and the
// rows inferred from /metrics around its measured part: a look-up run must
// have 10 hits per row inferred (within 2 %, give or take one request in
// flight per connection at each /metrics read, never none) and at least as many rows as answers the
// load generator counted; an all-sent run none. A run that misses fails the
// scenario rather than reporting a ratio of nothing.
// Bars: Redis look-up req/s >= 0.80 x all-sent; Redis p99 <= all-sent p99 + 2 ms
// (medians of at least 5 rounds). PostgreSQL figures for information.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { MODEL_FILE, S, numEnv } from '../lib/settings.mjs';
import { BenchError, fmtInt, log, sleep } from '../lib/log.mjs';
import { spawnChild, stopChild } from '../lib/children.mjs';
import { freePort, http } from '../lib/http.mjs';
import { ratioRow, requireRounds } from '../lib/report.mjs';
import { checkScore, expectStatus, waitFor, withModelgate } from '../lib/servers.mjs';
import { MIN_ROUNDS, MONITORING } from './1-peak.mjs';

const TPUT_BAR = 0.8;
const P99_EXTRA_MS = 2;
const ENTITIES = Math.max(1, Math.floor(numEnv('BENCH_FEATURE_ENTITIES', 10_000)));
/** Distinct entities in the bodies files (spread evenly over all of them). */
const BODY_LINES = Math.min(ENTITIES, 1000);
const LOOKUP_TIMEOUT_MS = Math.floor(numEnv('BENCH_FEATURE_TIMEOUT_MS', 100));
const LOOKED_UP = 10;
const ENTITY = 'customer_id';
const VIEWS = { redis: 'bench_feat_redis', pg: 'bench_feat_pg' };
const MODELS = { sent: 'bcf_sent', redis: 'bcf_redis', pg: 'bcf_pg' };
const SCENARIO = '10 features';
/** The workload and the redis-server, across rounds. */
const st = {};

const entityId = (n) => `c-${n}`;
const bodyEntity = (j) => Math.floor((j * ENTITIES) / BODY_LINES);

function redisMissing() {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return null;
  } catch (err) {
    return err.code === 'ENOENT' ? 'redis-server is not installed' : `redis-server --version failed: ${err.message}`;
  }
}

const listening = (port) =>
  new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });

/** redis-server on a free loopback port, without persistence; stopped at the bench's cleanup (or the scenario's end). */
async function startRedis(h) {
  const port = await freePort();
  const rec = spawnChild('redis-server', 'redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no'], { logFile: path.join(h.logDir, 'redis-server.log') });
  await waitFor(rec, `redis-server listening on ${port}`, async () => (await listening(port)) || 'not listening', 20);
  return { rec, port, url: `redis://127.0.0.1:${port}` };
}

/** The workload: which features are looked up, the bodies files, and the rows each view holds. */
function prepare(h) {
  const { features, rows } = h.work;
  const looked = features.filter((f) => f.startsWith('worst_')).slice(0, LOOKED_UP);
  if (looked.length !== LOOKED_UP) throw new BenchError(`the fixture has ${looked.length} worst_* features, not ${LOOKED_UP}`);
  const rowOf = (n) => rows[n % rows.length];
  const named = (r) => Object.fromEntries(features.map((f, i) => [f, r.values[i]]));
  const sentBody = (n) => ({ instances: [named(rowOf(n))] });
  const lookupBody = (n) => {
    const all = named(rowOf(n));
    return { instances: [{ [ENTITY]: entityId(n), ...Object.fromEntries(features.filter((f) => !looked.includes(f)).map((f) => [f, all[f]])) }] };
  };
  const files = { sent: path.join(h.workDir, 'features-sent.txt'), lookup: path.join(h.workDir, 'features-lookup.txt') };
  const lines = (fn) => Array.from({ length: BODY_LINES }, (_, j) => JSON.stringify(fn(bodyEntity(j)))).join('\n') + '\n';
  fs.writeFileSync(files.sent, lines(sentBody));
  fs.writeFileSync(files.lookup, lines(lookupBody));
  const storeRow = (n) => {
    const all = named(rowOf(n));
    return { [ENTITY]: entityId(n), ...Object.fromEntries(looked.map((f) => [f, all[f]])) };
  };
  return { looked, files, sentBody, lookupBody, storeRow, rowOf };
}

/** Views and models, once per database (they live in the registry, whichever store the deployment has). */
async function setUpRegistry(srv, w, facts) {
  const hd = srv.headers;
  for (const view of Object.values(VIEWS)) {
    const r = await http('POST', `${srv.base}/api/v1/feature-views`, { body: { name: view, entities: [ENTITY], features: Object.fromEntries(w.looked.map((f) => [f, 'float'])), ttl_s: 30 * 86_400 }, headers: hd });
    expectStatus(srv, `POST /api/v1/feature-views (${view})`, r, 201, 409);
  }
  const bytes = fs.readFileSync(MODEL_FILE);
  for (const [which, model] of Object.entries(MODELS)) {
    let r = await http('POST', `${srv.base}/api/v1/models`, { body: { name: model, task: 'binary_classification' }, headers: hd });
    expectStatus(srv, `POST /api/v1/models (${model})`, r, 201, 409);
    const form = new FormData();
    form.append('file', new Blob([bytes], { type: 'application/octet-stream' }), path.basename(MODEL_FILE));
    if (which !== 'sent') {
      const block = { timeout_ms: LOOKUP_TIMEOUT_MS, entities: [ENTITY], features: Object.fromEntries(w.looked.map((f) => [f, `${VIEWS[which]}:${f}`])) };
      form.append('metadata', JSON.stringify({ online_features: block }));
    }
    r = expectStatus(srv, `POST /api/v1/models/${model}/versions`, await http('POST', `${srv.base}/api/v1/models/${model}/versions`, { body: form, headers: hd, timeoutMs: 60_000 }), 201);
    const version = r.json.version;
    const v = expectStatus(srv, `GET /api/v1/models/${model}/versions/${version}`, await http('GET', `${srv.base}/api/v1/models/${model}/versions/${version}`, { headers: hd }), 200);
    const mapped = Object.keys(v.json.online_features?.features ?? {}).length;
    if (mapped !== (which === 'sent' ? 0 : LOOKED_UP)) throw new BenchError(`${model} v${version} maps ${mapped} online features, not ${which === 'sent' ? 0 : LOOKED_UP}`);
    expectStatus(srv, `PUT /api/v1/models/${model}/aliases/production`, await http('PUT', `${srv.base}/api/v1/models/${model}/aliases/production`, { body: { version }, headers: hd }), 200);
  }
  facts.registry_set_up = true;
}

/** The rows of `view` for every entity, in batches of 1,000, into the deployment's store. */
async function loadRows(srv, w, view) {
  const started = Date.now();
  for (let from = 0; from < ENTITIES; from += 1000) {
    const rows = [];
    for (let n = from; n < Math.min(ENTITIES, from + 1000); n++) rows.push(w.storeRow(n));
    const r = await http('PUT', `${srv.base}/api/v1/feature-views/${view}/rows`, { body: { rows }, headers: srv.headers, timeoutMs: 60_000 });
    expectStatus(srv, `PUT /api/v1/feature-views/${view}/rows (entities ${from}..${from + rows.length - 1})`, r, 200, 204);
  }
  const took = Date.now() - started;
  log(`features: ${fmtInt(ENTITIES)} rows loaded into ${view} in ${took} ms`);
  return took;
}

/** Every model loaded, and a few entities answered the same looked up as sent, and as expected.json says. */
async function checkAnswers(h, srv, w, lookups) {
  for (const model of [MODELS.sent, ...lookups.map((k) => MODELS[k])]) {
    await waitFor(srv.rec, `model "${model}" loaded`, async () => {
      const r = await http('GET', `${srv.base}/v2/models/${model}/ready`, { headers: srv.headers });
      return r.status === 200 || `${r.status} ${r.text.slice(0, 200)}`;
    }, h.S.startTimeoutS);
  }
  const predict = (model, body) => http('POST', `${srv.base}/v1/models/${model}/predict`, { body, headers: srv.headers });
  for (const n of [0, 1, bodyEntity(BODY_LINES - 1), ENTITIES - 1]) {
    const sent = await predict(MODELS.sent, w.sentBody(n));
    const expected = w.rowOf(n).p1;
    checkScore(srv, `POST /v1/models/${MODELS.sent}/predict (entity ${n}, all sent)`, sent, sent.json?.predictions?.[0]?.score, expected);
    for (const k of lookups) {
      const r = await predict(MODELS[k], w.lookupBody(n));
      checkScore(srv, `POST /v1/models/${MODELS[k]}/predict (entity ${entityId(n)}, ${LOOKED_UP} looked up)`, r, r.json?.predictions?.[0]?.score, sent.json.predictions[0].score);
    }
  }
}

/** A run's look-ups hit: 10 per row inferred (2 %), and the server inferred at least the answers the load generator counted; none for all-sent. */
export function checkHits(facts, m, lookup) {
  const d = m.modelgate;
  const ok = Math.max(0, (m.requests ?? 0) - (m.non2xx ?? 0) - (m.errors ?? 0));
  const c = { label: m.label, answered: ok, rows_inferred: d?.rows_all_models ?? null, hits: d?.feature_hits ?? null, expected_hits: d ? (lookup ? LOOKED_UP * d.rows_all_models : 0) : null, errors: d?.feature_errors ?? null, read_timeouts: d?.feature_read_timeouts ?? null };
  // A request in flight when /metrics is read (before or after) may have looked up and not yet been inferred:
  // at most one per connection at each read. Never fewer than one hit.
  const low = d ? Math.max(1, 0.98 * LOOKED_UP * (d.rows_all_models - S.connections)) : 0;
  const high = d ? 1.02 * LOOKED_UP * (d.rows_all_models + S.connections) : 0;
  facts.hit_checks.push(c);
  let why = null;
  if (!d) why = 'GET /metrics could not be read around the run';
  else if (!lookup) why = d.feature_hits !== 0 ? `${d.feature_hits} look-up hits on a run that sends every feature` : null;
  // No rows inferred: nothing was looked up to check (a paced run far past the server's peak can answer none in its window and still infer some: those are checked).
  else if (d.rows_all_models <= 0) why = `no rows inferred (answers ${ok})`;
  else if (d.feature_hits < low || d.feature_hits > high) why = `${d.feature_hits} look-up hits for ${d.rows_all_models} rows (expected ${LOOKED_UP} per row: ${c.expected_hits})`;
  else if (d.rows_all_models < 0.98 * ok) why = `the server inferred ${d.rows_all_models} rows, the load generator counted ${ok} answers`;
  c.ok = why === null;
  log(`features: ${m.label}: ${fmtInt(c.hits)} hits for ${fmtInt(c.rows_inferred)} rows inferred, ${fmtInt(ok)} answers${c.errors || c.read_timeouts ? `, ${fmtInt(c.errors)} look-up errors, ${fmtInt(c.read_timeouts)} store reads timed out` : ''}: ${c.ok ? 'ok' : `FAILED: ${why}`}`);
  if (why) throw new BenchError(`${m.label}: the look-up hit check failed: ${why}`);
}

const target = (w, which) => ({ path: `/v1/models/${MODELS[which]}/predict`, bodies: which === 'sent' ? w.files.sent : w.files.lookup });

export default {
  name: 'features',
  number: 10,
  async run(h, { round }) {
    if (round === 1) {
      const missing = redisMissing();
      if (missing) {
        h.facts.features = { skipped: missing };
        log(`features: skipped: ${missing}`);
        return;
      }
      h.facts.features = { entities: ENTITIES, body_entities: BODY_LINES, looked_up: LOOKED_UP, timeout_ms: LOOKUP_TIMEOUT_MS, views: VIEWS, models: MODELS, hit_checks: [], rows_loaded_ms: {} };
      st.w = prepare(h);
      h.facts.features.looked_up_features = st.w.looked;
      st.redis = await startRedis(h);
      log(`features: redis-server on ${st.redis.url}; ${fmtInt(ENTITIES)} entities, ${LOOKED_UP} of ${h.work.features.length} features looked up`);
    }
    const f = h.facts.features;
    if (f.skipped) return;
    const w = st.w;
    const run = async (srv, which, kind, rate) => {
      const m = kind === 'peak' ? await h.peak(srv, target(w, which), `feat-${which}-peak`) : await h.paced(srv, target(w, which), `feat-${which}-paced`, rate);
      checkHits(f, m, which !== 'sent');
    };
    const onRedis = (fn) =>
      withModelgate(h, 'features (redis store)', { ...MONITORING, MODELGATE_FEATURE_STORE: st.redis.url }, async (srv) => {
        if (!f.registry_set_up) await setUpRegistry(srv, w, f);
        if (f.rows_loaded_ms.redis === undefined) f.rows_loaded_ms.redis = await loadRows(srv, w, VIEWS.redis);
        await checkAnswers(h, srv, w, ['redis']);
        await fn(srv);
      });
    const onPostgres = (fn) =>
      withModelgate(h, 'features (postgres store)', { ...MONITORING, MODELGATE_FEATURE_STORE: 'postgres' }, async (srv) => {
        if (!f.registry_set_up) await setUpRegistry(srv, w, f);
        if (f.rows_loaded_ms.pg === undefined) f.rows_loaded_ms.pg = await loadRows(srv, w, VIEWS.pg);
        await checkAnswers(h, srv, w, ['pg']);
        await fn(srv);
      });
    const order = (xs) => (round % 2 ? xs : [...xs].reverse());
    const redisPeaks = () => onRedis(async (srv) => {
      for (const which of order(['sent', 'redis'])) await run(srv, which, 'peak');
    });
    const pgPeaks = () => onPostgres((srv) => run(srv, 'pg', 'peak'));
    for (const go of order([redisPeaks, pgPeaks])) await go();

    if (round < h.S.rounds) return;
    // After the last round of peaks: both at 80 % of the median all-sent peak, fresh servers each round.
    const rate = h.rateFor('feat-sent-peak');
    f.paced = { rate, rate_pct: h.S.ratePct, of: 'median all-sent /v1 peak of this scenario', rounds: h.S.rounds };
    for (let r = 1; r <= h.S.rounds; r++) {
      await onRedis(async (srv) => {
        for (const which of r % 2 ? ['sent', 'redis'] : ['redis', 'sent']) await run(srv, which, 'paced', rate);
      });
    }
    await stopChild(st.redis.rec, 2000);
    await sleep(100);
  },
  rows(h) {
    const f = h.facts.features;
    if (!f) return [];
    if (f.skipped) return [{ scenario: SCENARIO, server: `skipped: ${f.skipped}`, rps: null, result: 'SKIP', non2xx: 0, errors: 0 }];
    const rows = [];
    const of = `${LOOKED_UP} of 30 looked up`;
    ratioRow(rows, SCENARIO, '/v1 all 30 sent (baseline)', 'feat-sent-peak');
    ratioRow(rows, SCENARIO, `/v1 Redis look-up (${of})`, 'feat-redis-peak', 'feat-sent-peak', TPUT_BAR, 'ratio = Redis look-up / all sent, req/s');
    requireRounds(rows.at(-1), MIN_ROUNDS);
    ratioRow(rows, SCENARIO, `/v1 PostgreSQL look-up (${of})`, 'feat-pg-peak', 'feat-sent-peak', undefined, 'ratio = PostgreSQL look-up / all sent, req/s (information, no bar)');
    const sent = h.combine('feat-sent-paced');
    const redis = h.combine('feat-redis-paced');
    const scenario = `${SCENARIO} @${h.S.ratePct}% all-sent peak`;
    const paced = (c, server) => {
      rows.push({ ...c, scenario, server: `${server} @${fmtInt(c.target_rate)}/s`, ratio: null, bar: '', result: c.non2xx === 0 && c.errors === 0 ? 'info' : 'ERROR' });
      return rows.at(-1);
    };
    if (sent) paced(sent, '/v1 all 30 sent');
    if (redis) {
      const r = paced(redis, `/v1 Redis look-up (${of})`);
      r.bar = `p99 <= all-sent + ${P99_EXTRA_MS} ms`;
      r.note = 'ratio = Redis look-up p99 - all-sent p99, ms';
      if (sent && sent.p99 !== null && redis.p99 !== null) {
        r.ratio = Math.round((redis.p99 - sent.p99) * 1000) / 1000;
        r.against = { label: 'feat-sent-paced', rps: sent.rps, p99: sent.p99, runs: sent.runs, quiet_runs: sent.quiet_runs };
        if (r.result === 'info' && !sent.non2xx && !sent.errors) r.result = r.ratio <= P99_EXTRA_MS ? 'PASS' : 'FAIL';
        else if (sent.non2xx || sent.errors) r.result = 'ERROR';
        if (redis.noisy || sent.noisy) r.result += '*';
        requireRounds(r, MIN_ROUNDS);
      }
    }
    return rows;
  },
};
