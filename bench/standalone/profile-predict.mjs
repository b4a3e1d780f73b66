// Per-request cost of a /v1 prediction, by part of the path, in microseconds
// of the server's main thread.
//
// Starts the built service (dist/main.js, monitoring on as by default: live
// sketches and the PostgreSQL prediction log) under `node --cpu-prof`,
// drives `POST /v1/models/bc/predict` at batch 1 for PROFILE_SECONDS (20)
// after PROFILE_WARMUP_S (5) with the bench's closed-loop load generator
// (wrk, else autocannon; BENCH_CONNECTIONS, 50), stops the service so that
// it writes its .cpuprofile, and attributes the self time of every sample
// taken during the measured window to a category by the sampled function's
// file and name (RULES below; a builtin or native function without a file,
// JSON.parse or onnxruntime's native run say, takes the category of the
// nearest caller that has one). Each category's time divided by the
// requests answered in the window is its cost per request. Idle time is
// left out; what the main thread did besides (GC, V8 outside JS, promise
// ticks, unmapped code) is "GC/other", itemised.
//
//   npm run build && node bench/standalone/profile-predict.mjs
//   PROFILE_SECONDS=60 PROFILE_INTERVAL_US=100 node bench/standalone/profile-predict.mjs
//   PROFILE_TARGET=batch node bench/standalone/profile-predict.mjs
//     (the batching anchor, bench/bare-server.mjs BATCH=1, under the same load:
//     what the limit of the stack spends, category by category; also bare, fastify)
//   PROFILE_ENV='{"MODELGATE_INFERENCE_THREADS":"0"}' node bench/standalone/profile-predict.mjs
//     (settings of the profiled service; the JSON records them)
//   node bench/standalone/profile-predict.mjs --reanalyse bench/results/profile-predict-<stamp>.json
//     (the table again from a kept profile, after changing RULES)
//
// Writes bench/results/profile-predict-<stamp>.json (the table, the top
// functions) and keeps the .cpuprofile beside it (open it in Chrome
// DevTools or speedscope for a flame graph). The window is cut out of the
// profile by CLOCK_MONOTONIC, which both V8's sample timestamps and this
// process's hrtime read (Linux).
// Only the main thread is sampled: the embedded PostgreSQL (the prediction
// log's writes) and onnxruntime threads other than the caller's are not in
// the figures.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MODEL, RESULTS, ROOT, S, numEnv } from '../lib/settings.mjs';
import { log, stamp } from '../lib/log.mjs';
import { cleanup, onCleanup, stopChild } from '../lib/children.mjs';
import { runLoad } from '../lib/load.mjs';
import { machineInfo } from '../lib/report.mjs';
import { startAnchor } from '../lib/anchors.mjs';
import { loadModelgateConfig, prepareDatabase, startModelgate } from '../lib/servers.mjs';
import { prepareWorkload } from '../lib/workload.mjs';

const SECONDS = numEnv('PROFILE_SECONDS', 20);
const WARMUP_S = numEnv('PROFILE_WARMUP_S', 5);
const INTERVAL_US = numEnv('PROFILE_INTERVAL_US', 250);
/** `v1` (Modelgate's /v1 predict) or an anchor of bench/lib/anchors.mjs (`batch`, `bare`, `fastify`). */
const TARGET = process.env.PROFILE_TARGET ?? 'v1';
/** Settings for the profiled service on top of the bench's, e.g. PROFILE_ENV='{"MODELGATE_INFERENCE_THREADS":"0"}'. */
const PROFILE_ENV = JSON.parse(process.env.PROFILE_ENV ?? '{}');

/** The categories, in the order printed (the issue's list). */
const CATEGORIES = [
  'HTTP & Fastify',
  'admission/auth',
  'body parse & feature read',
  'routing',
  'batching & onnxruntime',
  'decode',
  'serialisation',
  'ids',
  'metrics',
  'telemetry & sketches',
  'GC/other',
];

/**
 * First match wins. `url` is matched against the file relative to the
 * checkout (`dist/serving/v1-routes.js`, `node_modules/fastify/lib/reply.js`)
 * or Node's own (`node:internal/...`); `fn` against the function name. A rule
 * marked `native` only applies to functions without a file (builtins,
 * natives); such a function no rule names, and any function an `inherit`
 * rule names, takes its caller's category.
 */
const RULES = [
  // V8's own entries.
  { fn: /^\(garbage collector\)$/, cat: 'GC/other', item: 'garbage collector' },
  { fn: /^\(program\)$/, cat: 'GC/other', item: 'V8/native outside JS (program)' },
  // Builtins without a file that say what they do, whoever calls them.
  { native: true, fn: /^(parse)$/, cat: 'body parse & feature read' },
  { native: true, fn: /^(stringify)$/, cat: 'serialisation' },
  { native: true, fn: /^(randomUUID|randomBytes|randomFillSync|getRandomValues)$/, cat: 'ids' },
  // Hashing and the like work for whoever calls them (a key check hashes the key).
  { url: /^node:internal\/crypto\/(hash|keys|util|scrypt|pbkdf2|hkdf)/, inherit: true },
  { native: true, fn: /^(writev|writeBuffer|writeUtf8String|writeLatin1String|onStreamRead|readStart|readStop|shutdown|close|execute|onHeadersComplete|onBody|onMessageComplete)$/, cat: 'HTTP & Fastify' },
  // Modelgate (dist/ mirrors src/).
  { url: /^dist\/common\/ids\.js/, cat: 'ids' },
  { url: /^dist\/metrics\//, cat: 'metrics' },
  { url: /^dist\/monitoring\/|^dist\/serving\/shadow-runner\.js|^dist\/features\//, cat: 'telemetry & sketches' },
  { url: /^dist\/auth\/|^dist\/serving\/edge-admission|^dist\/serving\/load-budget|^dist\/common\/client-address/, cat: 'admission/auth' },
  { url: /^dist\/common\/http-route-table\.js/, fn: /authHook|admit/i, cat: 'admission/auth' },
  { url: /^dist\/serving\/routing\/|^dist\/serving\/routing-table\.js|^dist\/serving\/serving-sync\.js/, cat: 'routing' },
  { url: /^dist\/serving\/prediction\.service\.js/, fn: /^(choose|stickySource|stickyKey)/, cat: 'routing' },
  { url: /^dist\/serving\/v1-routes\.js/, fn: /^(rowsOf)/, cat: 'body parse & feature read' },
  { url: /^dist\/serving\/feature-reader\.js|^dist\/serving\/prediction-rows\.js|^dist\/common\/json-body-parser\.js|^dist\/common\/json-safety\.js|^dist\/onnx\/tabular\.js|^dist\/serving\/v2\/infer-request\.js|^dist\/serving\/grpc\/infer-request-decoder\.js/, cat: 'body parse & feature read' },
  { url: /^dist\/onnx\/output-decoder\.js/, cat: 'decode' },
  { url: /^dist\/serving\/loaded-version\.js/, fn: /^decode/, cat: 'decode' },
  { url: /^dist\/serving\/batching\/|^dist\/serving\/loaded-version\.js|^dist\/onnx\/onnx-session\.js|^dist\/serving\/model-runtime\.js/, cat: 'batching & onnxruntime' },
  { url: /^dist\/serving\/v2\/infer-response\.js|^dist\/serving\/v2\/v2-wire\.js|^dist\/serving\/grpc\/infer-response-encoder\.js|^dist\/common\/error-envelope/, cat: 'serialisation' },
  { url: /^dist\/common\/http-route-table\.js|^dist\/app\.factory\.js|^dist\/common\/security-headers\.js/, cat: 'HTTP & Fastify' },
  // The fast lane stands in for Fastify's request handling on the common /v1 case (issue 25).
  { url: /^dist\/serving\/fast-lane\.js/, fn: /^serialised$/, cat: 'serialisation' },
  { url: /^dist\/serving\/fast-lane/, cat: 'HTTP & Fastify' },
  { url: /^dist\//, cat: 'GC/other', item: 'Modelgate code not mapped above (prediction.service orchestration, v1-routes, ...)' },
  // The anchors (PROFILE_TARGET): their own code, split the same way.
  { url: /^bench\/lib\/anchor-core\.mjs/, fn: /^rowsOf$/, cat: 'body parse & feature read' },
  { url: /^bench\/lib\/anchor-core\.mjs/, fn: /^answerOf$/, cat: 'serialisation' },
  { url: /^bench\/lib\/anchor-core\.mjs/, cat: 'batching & onnxruntime' },
  { url: /^bench\/(bare|fastify)-server\.mjs/, fn: /^predict$/, cat: 'body parse & feature read' },
  { url: /^bench\/(bare|fastify)-server\.mjs/, cat: 'HTTP & Fastify' },
  // Dependencies.
  { url: /^node_modules\/onnxruntime-(node|common)\//, cat: 'batching & onnxruntime' },
  { url: /^node_modules\/prom-client\//, cat: 'metrics' },
  { url: /^node_modules\/(pg|pg-protocol|pg-types|pg-pool|pgpass|pg-connection-string|postgres-[a-z]+|pg-copy-streams)\//, cat: 'telemetry & sketches' },
  // Fastify's reply.serialize runs the compiled response serializer (functions without a file, which inherit from it).
  { url: /^node_modules\/fastify\/lib\/reply\.js/, fn: /^(serialize|preSerializationHook|preSerializationHookEnd|serializeError)$/, cat: 'serialisation' },
  { url: /^node_modules\/(fast-json-stringify|@fastify\/fast-json-stringify-compiler|json-schema-ref-resolver)\//, cat: 'serialisation' },
  { url: /^node_modules\/fastify\/lib\/(contentTypeParser|content-type-parser)\.js|^node_modules\/(secure-json-parse|@fastify\/busboy)\//, cat: 'body parse & feature read' },
  { url: /^node_modules\/(uuid|nanoid)\//, cat: 'ids' },
  { url: /^node_modules\/(fastify|find-my-way|@fastify|avvio|light-my-request|fast-querystring|fast-decode-uri-component|toad-cache|process-warning|abstract-logging|pino|pino-std-serializers|rfdc|fastq|reusify|ret|safe-regex2|content-type|proxy-addr|forwarded|ipaddr\.js)\//, cat: 'HTTP & Fastify' },
  { url: /^node:(_http_\w+|http|https|net|stream|events|buffer|string_decoder|dns)$|^node:internal\/(http|streams|net|stream_base_commons|child_process|dgram|dns|url|querystring|event_target|http2)/, cat: 'HTTP & Fastify' },
  { url: /^node:internal\/(process\/task_queues|async_hooks|timers|promise_hooks)|^node:timers/, cat: 'GC/other', item: 'promise ticks, timers, async hooks' },
  { url: /^node:/, cat: 'GC/other', item: 'other Node internals' },
  { url: /./, cat: 'GC/other', item: 'other dependencies' },
];

function relUrl(url) {
  if (!url) return '';
  let u = url.startsWith('file://') ? decodeURIComponent(new URL(url).pathname) : url;
  if (u.startsWith(ROOT + path.sep)) u = u.slice(ROOT.length + 1);
  // node_modules is a symlink into another checkout: keep the part from node_modules on.
  const nm = u.lastIndexOf('node_modules/');
  if (nm > 0) u = u.slice(nm);
  if (!u.startsWith('node:') && !u.includes('/') && !u.includes('.')) u = `node:${u}`;
  return u;
}

function classify(frame) {
  const url = relUrl(frame.url);
  const fn = frame.functionName || '(anonymous)';
  for (const r of RULES) {
    if (r.native && url) continue;
    // Every `url` pattern needs a file, so a function without one only meets the `fn`-only rules.
    if (r.url && !r.url.test(url)) continue;
    if (r.fn && !r.fn.test(fn)) continue;
    if (r.inherit) return null;
    return { cat: r.cat, item: r.item ?? null };
  }
  return null; // no file, nothing said: the caller's
}

/** Self time (us) per node id within [from, to] (monotonic us), and the samples taken. */
function selfTimes(profile, from, to) {
  const { samples, timeDeltas } = profile;
  const ts = new Array(samples.length);
  let t = profile.startTime;
  for (let i = 0; i < samples.length; i++) {
    t += timeDeltas[i];
    ts[i] = t;
  }
  const self = new Map();
  let taken = 0;
  for (let i = 0; i < samples.length; i++) {
    if (ts[i] < from || ts[i] > to) continue;
    const dt = i + 1 < samples.length ? ts[i + 1] - ts[i] : INTERVAL_US;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + dt);
    taken++;
  }
  return { self, taken, first: ts[0], last: ts[ts.length - 1] };
}

export function breakdown(profile, from, to, requests) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map();
  const categoryOf = (id) => {
    if (memo.has(id)) return memo.get(id);
    const n = byId.get(id);
    let c = classify(n.callFrame);
    if (!c) {
      const p = parent.get(id);
      const up = p === undefined ? null : categoryOf(p);
      c = up && up.cat ? up : { cat: 'GC/other', item: 'unattributed native' };
    }
    memo.set(id, c);
    return c;
  };
  const { self, taken, first, last } = selfTimes(profile, from, to);
  const cats = Object.fromEntries(CATEGORIES.map((c) => [c, 0]));
  const items = {};
  const fns = new Map();
  let idle = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    const fn = n.callFrame.functionName;
    if (fn === '(idle)' || fn === '(root)') {
      idle += us;
      continue;
    }
    const c = categoryOf(id);
    cats[c.cat] += us;
    if (c.cat === 'GC/other') items[c.item ?? 'other'] = (items[c.item ?? 'other'] ?? 0) + us;
    const key = `${fn || '(anonymous)'} ${relUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
    const f = fns.get(key) ?? { fn: key, category: c.cat, us: 0 };
    f.us += us;
    fns.set(key, f);
  }
  const busy = Object.values(cats).reduce((a, b) => a + b, 0);
  const per = (us) => Math.round((us / Math.max(1, requests)) * 100) / 100;
  return {
    window_s: Math.round((to - from) / 1e4) / 100,
    samples_in_window: taken,
    profile_span_s: Math.round((last - first) / 1e4) / 100,
    requests,
    busy_us_per_request: per(busy),
    idle_share: Math.round((idle / Math.max(1, idle + busy)) * 1000) / 1000,
    categories: CATEGORIES.map((c) => ({ category: c, us_per_request: per(cats[c]), share: Math.round((cats[c] / Math.max(1, busy)) * 1000) / 1000 })),
    other_items: Object.entries(items)
      .sort((a, b) => b[1] - a[1])
      .map(([item, us]) => ({ item, us_per_request: per(us) })),
    top_functions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, 40)
      .map((f) => ({ ...f, us: undefined, us_per_request: per(f.us) })),
  };
}

function printBreakdown(b, rps) {
  const w = Math.max(...CATEGORIES.map((c) => c.length));
  const lines = [`| category | us per request | share |`, `|---|---:|---:|`];
  for (const c of b.categories) lines.push(`| ${c.category.padEnd(w)} | ${c.us_per_request.toFixed(1)} | ${(c.share * 100).toFixed(1)}% |`);
  lines.push(`| ${'total (main thread busy)'.padEnd(w)} | ${b.busy_us_per_request.toFixed(1)} | 100% |`);
  process.stdout.write(`\n${TARGET === 'v1' ? '/v1 predict' : `anchor ${TARGET}`}, batch 1: ${b.requests} requests in ${b.window_s} s (${Math.round(rps)} req/s), ${b.samples_in_window} samples; main thread idle ${(b.idle_share * 100).toFixed(1)}% of the window\n\n${lines.join('\n')}\n\nGC/other:\n`);
  for (const i of b.other_items) process.stdout.write(`  ${i.us_per_request.toFixed(1).padStart(7)} us  ${i.item}\n`);
  process.stdout.write('\nTop functions (self time):\n');
  for (const f of b.top_functions.slice(0, 20)) process.stdout.write(`  ${f.us_per_request.toFixed(2).padStart(7)} us  [${f.category}] ${f.fn}\n`);
}

/** The table again from a kept run (its JSON and the .cpuprofile beside it), with today's RULES. */
function reanalyse(jsonFile) {
  const doc = JSON.parse(fs.readFileSync(jsonFile, 'utf8'));
  const profile = JSON.parse(fs.readFileSync(jsonFile.replace(/\.json$/, '.cpuprofile'), 'utf8'));
  const b = breakdown(profile, doc.window.from_us, doc.window.to_us, doc.load.requests);
  printBreakdown(b, doc.load.rps);
}

async function main() {
  const at = process.argv.indexOf('--reanalyse');
  if (at > 0) return reanalyse(process.argv[at + 1]);
  fs.mkdirSync(RESULTS, { recursive: true });
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-profile-'));
  fs.chmodSync(workDir, 0o755);
  onCleanup(() => (S.keep ? log(`kept ${workDir}`) : fs.rmSync(workDir, { recursive: true, force: true })));
  const profDir = path.join(workDir, 'prof');
  fs.mkdirSync(profDir);
  const givenDb = process.env.BENCH_DATABASE_URL || process.env.DATABASE_URL;
  const h = { S, workDir, logDir: workDir, work: prepareWorkload(workDir), config: await loadModelgateConfig(), db: TARGET === 'v1' ? await prepareDatabase(path.join(workDir, 'data'), givenDb) : null };
  const nodeArgs = ['--cpu-prof', `--cpu-prof-dir=${profDir}`, `--cpu-prof-interval=${INTERVAL_US}`];
  const srv =
    TARGET === 'v1'
      ? await startModelgate(h, 'profiled', { MODELGATE_MONITOR_SKETCHES: 'true', MODELGATE_PREDICTION_LOG: 'postgres', ...PROFILE_ENV }, { nodeArgs })
      : await startAnchor(h, TARGET, { nodeArgs });
  const url = TARGET === 'v1' ? `${srv.base}/v1/models/${MODEL}/predict` : `${srv.base}/`;
  const auth = srv.headers.authorization?.slice('Bearer '.length);
  log(`warm-up ${WARMUP_S}s`);
  if (WARMUP_S > 0) await runLoad(S.loadgen, { url, bodiesFile: h.work.files.v1, auth, seconds: WARMUP_S }, srv.rec.pid);
  log(`profiling ${SECONDS}s of ${TARGET === 'v1' ? '/v1 predict' : `the ${TARGET} anchor`} at ${S.connections} connections (${S.loadgen}), sampling every ${INTERVAL_US} us`);
  const from = Number(process.hrtime.bigint() / 1000n);
  const r = await runLoad(S.loadgen, { url, bodiesFile: h.work.files.v1, auth, seconds: SECONDS }, srv.rec.pid);
  const to = Number(process.hrtime.bigint() / 1000n);
  log(`${r.requests} requests, ${Math.round(r.rps)} req/s, p99 ${r.p99} ms${r.non2xx || r.errors ? `, non-2xx ${r.non2xx}, errors ${r.errors}` : ''}; stopping the service for its profile`);
  await stopChild(srv.rec, 30_000);
  const file = fs.readdirSync(profDir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error(`the service wrote no .cpuprofile (exit code ${srv.rec.code}, signal ${srv.rec.signal}); it must exit by itself on SIGTERM`);
  const profile = JSON.parse(fs.readFileSync(path.join(profDir, file), 'utf8'));
  if (profile.startTime > to || profile.endTime < from) throw new Error('the profile does not cover the measured window (its clock is not this process\'s CLOCK_MONOTONIC?)');
  const b = breakdown(profile, from, to, r.requests);
  printBreakdown(b, r.rps);
  // Failed requests cost differently: a breakdown over them is not a prediction's.
  if (r.non2xx || r.errors) process.stdout.write(`\nWARNING: ${r.non2xx} non-2xx answers and ${r.errors} socket errors during the window: these figures are not a prediction's cost\n`);
  const base = path.join(RESULTS, `profile-predict-${stamp}`);
  fs.copyFileSync(path.join(profDir, file), `${base}.cpuprofile`);
  const machine = machineInfo();
  fs.writeFileSync(`${base}.json`, `${JSON.stringify({ kind: 'modelgate-profile-predict', machine, settings: { target: TARGET, seconds: SECONDS, warmup_s: WARMUP_S, interval_us: INTERVAL_US, connections: S.connections, loadgen: S.loadgen, monitoring: 'sketches + postgres prediction log', env: PROFILE_ENV }, window: { from_us: from, to_us: to }, load: { rps: r.rps, requests: r.requests, p50: r.p50, p99: r.p99, non2xx: r.non2xx, errors: r.errors, cpu: r.cpu }, breakdown: b, rules: RULES.map((x) => ({ url: x.url?.source ?? null, fn: x.fn?.source ?? null, native: !!x.native, inherit: !!x.inherit, category: x.cat ?? null, item: x.item ?? null })) }, null, 2)}\n`);
  process.stdout.write(`\nWrote ${path.relative(ROOT, base)}.json and .cpuprofile (open in Chrome DevTools or speedscope for the flame graph)\n`);
}

let code = 0;
try {
  await main();
} catch (err) {
  process.stderr.write(`profile-predict FAILED: ${err.stack ?? err}\n`);
  code = 1;
} finally {
  await cleanup();
}
process.exit(code);
