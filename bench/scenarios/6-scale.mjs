// Scenario 6: the registry at scale on one process. 1,000 models, 300 of
// them routed with 1-3 versions each (the fixture's bytes, uploaded through
// the real HTTP API), on replica A; then a second replica B starts on the
// same database and artifact directory. Reports B's time to ready, resident
// memory per loaded version, its first prediction on every routed model
// (each must match the fixture's expected score), how long a promotion on A
// takes to reach B (bar: < 1 s), and paging through every model.
// MODELGATE_MAX_LOADED_VERSIONS is set high: routed versions beyond the
// runtime's default bound of 16 are a separate fix in serving.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { MODEL_FILE, ROOT, numEnv } from '../lib/settings.mjs';
import { BenchError, log, sleep } from '../lib/log.mjs';
import { onCleanup } from '../lib/children.mjs';
import { http } from '../lib/http.mjs';
import { checkScore, expectStatus, prepareDatabase, withModelgate } from '../lib/servers.mjs';
import { figureRow } from '../lib/report.mjs';

const MODELS = numEnv('BENCH_SCALE_MODELS', 1000);
const ROUTED = numEnv('BENCH_SCALE_ROUTED', 300);
const WIDTH = 8; // concurrent API calls while setting up
const PROMOTION_BAR_MS = 1000;
const name = (i) => `scale-${String(i).padStart(4, '0')}`;
const versionsOf = (i) => (i % 3) + 1;

const rssOf = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : null;
};

async function inParallel(items, fn) {
  const queue = [...items];
  await Promise.all(Array.from({ length: WIDTH }, async () => {
    while (queue.length) await fn(queue.shift());
  }));
}

/** A database of its own: a fresh one on the given server, or an embedded PostgreSQL under `dir`. */
async function scaleDatabase(h, dir) {
  if (h.givenDb) return prepareDatabase(path.join(dir, 'data'), h.givenDb);
  const { startEmbeddedPostgres } = await import(pathToFileURL(path.join(ROOT, 'dist/database/embedded-postgres.runner.js')).href);
  const pg = await startEmbeddedPostgres(path.join(dir, 'pg'), 'modelgate');
  onCleanup(() => pg.stop());
  const db = await prepareDatabase(path.join(dir, 'data'), null);
  db.databaseUrl = pg.url;
  db.adminToken = randomBytes(32).toString('base64url');
  return db;
}

async function setUp(srv, facts) {
  const bytes = fs.readFileSync(MODEL_FILE);
  const started = Date.now();
  await inParallel(Array.from({ length: MODELS }, (_, i) => i), async (i) => {
    const r = await http('POST', `${srv.base}/api/v1/models`, { body: { name: name(i), task: 'binary_classification', tags: { bench: 'scale' } }, headers: srv.headers });
    expectStatus(srv, 'POST /api/v1/models', r, 201);
  });
  facts.create_models_s = (Date.now() - started) / 1000;
  const upStarted = Date.now();
  let uploads = 0;
  await inParallel(Array.from({ length: ROUTED }, (_, i) => i), async (i) => {
    for (let v = 1; v <= versionsOf(i); v++) {
      const form = new FormData();
      form.append('file', new Blob([bytes]), 'model.onnx');
      const r = await http('POST', `${srv.base}/api/v1/models/${name(i)}/versions`, { body: form, headers: srv.headers, timeoutMs: 120_000 });
      expectStatus(srv, `POST /api/v1/models/${name(i)}/versions`, r, 201);
      if (++uploads % 100 === 0) log(`scale: ${uploads} versions uploaded`);
    }
    const r = await http('PUT', `${srv.base}/api/v1/models/${name(i)}/aliases/production`, { body: { version: versionsOf(i) }, headers: srv.headers });
    expectStatus(srv, 'PUT .../aliases/production', r, 200);
  });
  facts.versions_uploaded = uploads;
  facts.upload_versions_s = (Date.now() - upStarted) / 1000;
}

export default {
  name: 'scale',
  number: 6,
  once: true,
  async run(h) {
    const dir = path.join(h.workDir, 'scale');
    fs.mkdirSync(dir, { recursive: true });
    fs.chmodSync(dir, 0o755);
    const sh = { ...h, db: await scaleDatabase(h, dir) };
    const env = { MODELGATE_MAX_LOADED_VERSIONS: '100000', MODELGATE_RECONCILE_MS: '600000' };
    const facts = (h.facts.scale = { models: MODELS, routed: ROUTED });
    log(`scale: ${MODELS} models, ${ROUTED} routed with 1-3 versions`);
    await withModelgate(sh, 'scale A', env, async (a) => {
      facts.rss_empty_bytes = rssOf(a.rec.pid);
      await setUp(a, facts);
      const bStarted = Date.now();
      await withModelgate(sh, 'scale B', env, async (b) => {
        facts.replica_ready_s = (Date.now() - bStarted) / 1000;
        await sleep(2000); // let the loads settle before reading memory
        facts.rss_loaded_bytes = rssOf(b.rec.pid);
        facts.rss_per_loaded_version_bytes = Math.round((facts.rss_loaded_bytes - facts.rss_empty_bytes) / ROUTED);
        log(`scale: replica B ready in ${facts.replica_ready_s} s, ${(facts.rss_per_loaded_version_bytes / 1e6).toFixed(2)} MB per loaded version`);
        const firstStarted = Date.now();
        for (let i = 0; i < ROUTED; i++) {
          const r = await http('POST', `${b.base}/v1/models/${name(i)}/predict`, { body: h.work.first.v1, headers: b.headers });
          checkScore(b, `first POST /v1/models/${name(i)}/predict`, r, r.json?.predictions?.[0]?.score, h.work.first.p1);
          if (r.json.version !== versionsOf(i)) throw new BenchError(`${name(i)} answered version ${r.json.version}, production is ${versionsOf(i)}`);
        }
        facts.first_predictions_s = (Date.now() - firstStarted) / 1000;
        const target = 2; // three versions, production on 3
        const r = await http('PUT', `${a.base}/api/v1/models/${name(target)}/aliases/production`, { body: { version: 1 }, headers: a.headers });
        expectStatus(a, 'promotion on A', r, 200);
        const promoted = performance.now();
        for (;;) {
          const p = await http('POST', `${b.base}/v1/models/${name(target)}/predict`, { body: h.work.first.v1, headers: b.headers });
          if (p.json?.version === 1) break;
          if (performance.now() - promoted > 10_000) throw new BenchError('the promotion did not reach replica B within 10 s');
          await sleep(5);
        }
        facts.promotion_to_replica_ms = Math.round(performance.now() - promoted);
        const listStarted = Date.now();
        let names = 0;
        let pages = 0;
        let cursor = null;
        do {
          const l = await http('GET', `${b.base}/api/v1/models?tag=bench:scale&limit=100${cursor ? `&cursor=${cursor}` : ''}`, { headers: b.headers });
          expectStatus(b, 'GET /api/v1/models', l, 200);
          names += l.json.models.length;
          pages++;
          cursor = l.json.next_cursor;
        } while (cursor);
        if (names !== MODELS) throw new BenchError(`paging listed ${names} models, not ${MODELS}`);
        facts.list_all_models = { pages, s: (Date.now() - listStarted) / 1000 };
      });
    });
  },
  rows(h) {
    const f = h.facts.scale;
    if (!f || f.promotion_to_replica_ms === undefined) return [];
    const sc = `6 scale ${f.models}/${f.routed}`;
    const rows = [];
    figureRow(rows, sc, `replica ready with ${f.routed} routed versions (s)`, f.replica_ready_s, '');
    figureRow(rows, sc, 'RSS per loaded version (MB)', f.rss_per_loaded_version_bytes / 1e6, '');
    figureRow(rows, sc, `first prediction of all ${f.routed} routed (s)`, f.first_predictions_s, 'all right', true);
    figureRow(rows, sc, 'promotion reaches replica B (ms)', f.promotion_to_replica_ms, `< ${PROMOTION_BAR_MS}`, f.promotion_to_replica_ms < PROMOTION_BAR_MS);
    figureRow(rows, sc, `page through ${f.models} models (s, ${f.list_all_models.pages} pages)`, f.list_all_models.s, '');
    return rows;
  },
};
