// `npm run bench:soak`: holds a steady load for SOAK_DURATION_S (default 600)
// on the built service with everything an operator runs at once: a sticky
// 90/10 A/B split of loan_default_xgb, labels posted for a share of the
// predictions, drift checks on short windows, alert evaluation and delivery to
// a webhook on loopback. Halfway through, three features shift, so the drift
// pages fire while the load goes on. Reports throughput, p99 over time,
// errors, shed requests and the server's resident memory, and whether memory
// stayed flat after warm-up (grew < 10%, PRODUCT.md "Bars, how measured").
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { ROOT, RESULTS } from './lib/settings.mjs';
import { spawnChild, stopChild, tail } from './lib/children.mjs';
import { freePort, http as call } from './lib/http.mjs';
import { IntervalStats, pacedLoop, post, rssMiB } from './lib/soak-load.mjs';

const num = (name, d) => (process.env[name] ? Number(process.env[name]) : d);
const DURATION_S = num('SOAK_DURATION_S', 600);
const RATE = num('SOAK_RATE', 1500);
const CONNECTIONS = num('SOAK_CONNECTIONS', 16);
const SAMPLE_S = num('SOAK_SAMPLE_S', 10);
const WINDOW_S = num('SOAK_WINDOW_S', 20);
const LABEL_SHARE = num('SOAK_LABEL_SHARE', 0.2);
const WARMUP_S = Math.min(60, Math.max(10, DURATION_S / 10));
const log = (m) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const FIX = path.join(ROOT, 'test/fixtures');
const MODEL = 'loan';

function readCsv(file) {
  const [head, ...lines] = fs.readFileSync(file, 'utf8').trim().split('\n');
  const cols = head.split(',');
  return { cols, rows: lines.map((l) => l.split(',').map(Number)) };
}

function startWebhook() {
  const pages = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        pages.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        pages.push({ unparsable: true });
      }
      res.writeHead(200).end('{}');
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, pages, url: `http://127.0.0.1:${server.address().port}/hook` })));
}

async function must(what, p, ...want) {
  const r = await p;
  if (!want.includes(r.status)) throw new Error(`${what} answered ${r.status}: ${r.text.slice(0, 400)}`);
  return r;
}

async function setUp(base, headers, webhookUrl) {
  const policy = { window_seconds: WINDOW_S, min_samples: 200, min_labels: 100, for_windows: 1, resolve_windows: 1 };
  await must('create model', call('POST', `${base}/api/v1/models`, { headers, body: { name: MODEL, task: 'binary_classification', monitoring_policy: policy } }), 201);
  for (let i = 0; i < 2; i++) {
    const form = new FormData();
    form.append('file', new Blob([fs.readFileSync(path.join(FIX, 'loan_default_xgb.onnx'))]), 'model.onnx');
    form.append('baseline', new Blob([fs.readFileSync(path.join(FIX, 'loan_default_xgb.valid.csv'))]), 'valid.csv');
    form.append('metadata', JSON.stringify({ metrics: { auc: 0.8 }, categorical_features: ['region', 'product'] }));
    await must(`upload v${i + 1}`, call('POST', `${base}/api/v1/models/${MODEL}/versions`, { headers, body: form, timeoutMs: 120_000 }), 201);
  }
  await must('alias', call('PUT', `${base}/api/v1/models/${MODEL}/aliases/production`, { headers, body: { version: 1 } }), 200);
  await must('traffic', call('PUT', `${base}/api/v1/models/${MODEL}/traffic`, {
    headers,
    body: { routes: [{ version: 1, weight: 90 }, { version: 2, weight: 10, name: 'challenger' }], sticky: 'header:x-user-id', fallback: 1, reason: 'soak A/B' },
  }), 200);
  await must('receiver', call('POST', `${base}/api/v1/receivers`, { headers, body: { type: 'webhook', url: webhookUrl } }), 201);
}

async function main() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-soak-'));
  fs.chmodSync(dir, 0o755);
  const port = await freePort();
  const hook = await startWebhook();
  const env = {
    ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', MODELGATE_DATA_DIR: path.join(dir, 'data'),
    MODELGATE_MONITOR_FLUSH_MS: '1000', MODELGATE_LEADER_POLL_MS: '500', GRPC_PORT: '0', ONNXRUNTIME_NODE_INSTALL: 'skip',
  };
  delete env.DATABASE_URL;
  const srv = spawnChild('modelgate', process.execPath, [path.join(ROOT, 'dist/main.js')], { env, logFile: path.join(dir, 'modelgate.log') });
  const base = `http://127.0.0.1:${port}`;
  const results = { settings: { DURATION_S, RATE, CONNECTIONS, SAMPLE_S, WINDOW_S, LABEL_SHARE, WARMUP_S }, samples: [] };
  try {
    const t0 = Date.now();
    for (;;) {
      if (srv.exited) throw new Error(`the service exited:\n${tail(srv)}`);
      if ((await call('GET', `${base}/health/ready`).catch(() => ({ status: 0 }))).status === 200) break;
      if (Date.now() - t0 > 120_000) throw new Error(`not ready in 120 s:\n${tail(srv)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const key = fs.readFileSync(path.join(dir, 'data/admin.key'), 'utf8').trim();
    const headers = { authorization: `Bearer ${key}` };
    await setUp(base, headers, hook.url);
    log(`set up; loading at ${RATE}/s for ${DURATION_S}s`);

    const test = readCsv(path.join(FIX, 'loan_default_xgb.test.csv'));
    const labelIdx = test.cols.indexOf('label');
    const features = test.cols.filter((c) => c !== 'label');
    const sd = (j) => {
      const xs = test.rows.map((r) => r[j]);
      const m = xs.reduce((a, b) => a + b, 0) / xs.length;
      return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
    };
    const shifted = ['income', 'debt_ratio', 'utilization'].map((f) => test.cols.indexOf(f));
    const shift = new Map(shifted.map((j) => [j, 0.5 * sd(j)]));
    const start = Date.now();
    const stop = start + DURATION_S * 1000;
    let i = 0;
    const labels = [];
    const stats = new IntervalStats();
    const next = () => {
      const row = test.rows[i++ % test.rows.length];
      const drifting = Date.now() > start + (DURATION_S * 1000) / 2;
      const inst = {};
      features.forEach((f) => {
        const j = test.cols.indexOf(f);
        inst[f] = drifting && shift.has(j) ? row[j] + shift.get(j) : row[j];
      });
      return { path: `/v1/models/${MODEL}/predict`, body: { instances: [inst] }, headers: { ...headers, 'x-user-id': `u${i % 5000}` }, label: row[labelIdx] };
    };
    const onAnswer = (rq, a) => {
      if (a.status !== 200 || Math.random() >= LABEL_SHARE) return;
      const id = /"prediction_id":"([^"]+)"/.exec(a.text)?.[1];
      if (id) labels.push({ prediction_id: id, label: rq.label });
    };
    const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
    const feedback = { posted: 0, failed: 0, failures: {} };
    const sampler = setInterval(async () => {
      const batch = labels.splice(0, labels.length);
      if (batch.length) {
        const r = await post(agent, base, '/v1/feedback', batch, headers);
        if (r.status === 200) feedback.posted += batch.length;
        else {
          feedback.failed += batch.length;
          feedback.failures[r.status] = (feedback.failures[r.status] ?? 0) + 1;
          log(`feedback batch of ${batch.length} answered ${r.status}: ${String(r.text ?? '').slice(0, 200)}`);
        }
      }
    }, 1000);
    const samples = setInterval(() => {
      const s = { t_s: Math.round((Date.now() - start) / 1000), ...stats.take(), rss_mib: rssMiB(srv.pid), pages: hook.pages.length, labels_posted: feedback.posted };
      results.samples.push(s);
      log(`${String(s.t_s).padStart(4)}s ok ${s.ok} err ${s.errors} shed ${s.shed} p99 ${s.p99_ms?.toFixed(1)} ms rss ${s.rss_mib} MiB pages ${s.pages}`);
    }, SAMPLE_S * 1000);
    await pacedLoop({ base, rate: RATE, connections: CONNECTIONS, next, onAnswer, until: () => Date.now() >= stop || srv.exited, stats });
    clearInterval(sampler);
    clearInterval(samples);
    agent.destroy();
    if (srv.exited) throw new Error(`the service exited during the soak:\n${tail(srv)}`);

    const alerts = await call('GET', `${base}/api/v1/alerts?limit=100`, { headers });
    const drift = await call('GET', `${base}/api/v1/models/${MODEL}/drift?limit=5`, { headers });
    const ss = results.samples;
    const afterWarm = ss.filter((s) => s.t_s >= WARMUP_S);
    const rssWarm = afterWarm[0]?.rss_mib;
    const rssEnd = ss[ss.length - 1]?.rss_mib;
    const total = (k) => ss.reduce((a, s) => a + s[k], 0);
    results.summary = {
      requests_ok: total('ok'), errors: total('errors'), shed: total('shed'),
      throughput_rps: Math.round(total('ok') / DURATION_S),
      p99_ms_worst_interval: Math.max(...afterWarm.map((s) => s.p99_ms ?? 0)),
      p99_ms_median_interval: afterWarm.map((s) => s.p99_ms ?? 0).sort((a, b) => a - b)[Math.floor(afterWarm.length / 2)] ?? null,
      rss_mib_after_warmup: rssWarm, rss_mib_end: rssEnd,
      rss_growth: rssWarm && rssEnd ? Math.round((rssEnd / rssWarm - 1) * 1000) / 1000 : null,
      memory_flat: rssWarm && rssEnd ? rssEnd / rssWarm - 1 < 0.1 : null,
      labels_posted: feedback.posted, labels_failed: feedback.failed, label_failures_by_status: feedback.failures, pages_received: hook.pages.length,
      alerts: alerts.json?.items?.map((a) => `${a.rule}:${a.state}`) ?? alerts.status,
      drift_checks: drift.json?.items?.length ?? drift.status,
    };
    printTable(results);
    fs.mkdirSync(RESULTS, { recursive: true });
    const file = path.join(RESULTS, `soak-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    fs.writeFileSync(file, JSON.stringify(results, null, 2));
    log(`wrote ${path.relative(ROOT, file)}`);
    if (!results.summary.memory_flat || results.summary.errors > 0) process.exitCode = 2;
  } finally {
    await stopChild(srv);
    hook.server.close();
    if (process.env.SOAK_KEEP !== '1') fs.rmSync(dir, { recursive: true, force: true });
  }
}

function printTable({ samples, summary }) {
  const rows = [['t (s)', 'ok/s', 'errors', 'shed', 'p50 ms', 'p99 ms', 'rss MiB', 'pages']];
  for (const s of samples) rows.push([s.t_s, Math.round(s.ok / SAMPLE_S), s.errors, s.shed, s.p50_ms?.toFixed(1), s.p99_ms?.toFixed(1), s.rss_mib, s.pages]);
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c] ?? '').length)));
  for (const r of rows) console.log(r.map((v, c) => String(v ?? '').padStart(w[c])).join('  '));
  console.log('\n' + Object.entries(summary).map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('\n'));
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
