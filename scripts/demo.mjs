#!/usr/bin/env node
// `npm run demo`: the story Modelgate exists for, in one terminal, on the
// embedded default. A loan-default model serves two versions on a 90/10
// split; the applicants change (input drift, detected); labels arrive and
// the candidate's live AUC falls below its bar; on-call is paged through a
// webhook receiver this script runs itself; one call rolls back and the page
// resolves. Windows are short (MODELGATE_DEMO_WINDOW_SECONDS, default 10)
// and every period the service waits on is shortened through its own
// configuration, so the real timers run while you watch.
import { spawn } from 'node:child_process';
import { createHmac, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIX = path.join(ROOT, 'test', 'fixtures');
const WINDOW = Number(process.env.MODELGATE_DEMO_WINDOW_SECONDS ?? 10);
const ROWS = Number(process.env.MODELGATE_DEMO_ROWS ?? 1500);
/** Share of the candidate's labels the demo flips, to play a candidate that is worse than it looked offline. */
const FLIP = 0.25;
const SECRET = 'demo-webhook-secret';
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (m) => process.stdout.write(`\n[${elapsed()}] ${m}\n`);
const line = (m = '') => process.stdout.write(`  ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const clock = (iso) => new Date(iso).toISOString().slice(11, 19);
const fmt = (x, digits = 3) => (x === null || x === undefined ? '-' : typeof x !== 'number' ? String(x) : Math.abs(x) < 1e-3 && x !== 0 ? x.toExponential(1) : x.toFixed(digits));

/** A plain-text table: columns padded to their widest cell. */
function table(headers, rows) {
  const text = rows.map((r) => r.map((c) => (c === null || c === undefined ? '-' : String(c))));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => r[i].length)));
  const fmtRow = (cells) => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [fmtRow(headers), ...text.map(fmtRow)].map((l) => `    ${l}`).join('\n');
}
const show = (headers, rows) => process.stdout.write(`${table(headers, rows)}\n`);

async function until(what, fn, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what} after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

// The on-call side: a webhook receiver that checks Modelgate's signature and keeps what it is sent.
const pages = [];
const receiver = http.createServer((req, res) => {
  let raw = '';
  req.on('data', (c) => (raw += c));
  req.on('end', () => {
    const [t, v1] = String(req.headers['x-modelgate-signature'] ?? '').split(',').map((p) => p.split('=')[1]);
    const want = createHmac('sha256', SECRET).update(`${t}.${raw}`).digest('hex');
    const signed = v1 !== undefined && v1.length === want.length && timingSafeEqual(Buffer.from(v1), Buffer.from(want));
    if (!signed) return void res.writeHead(401).end();
    pages.push({ ...JSON.parse(raw), received_at: Date.now() });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const hookUrl = `http://127.0.0.1:${receiver.address().port}/pages`;

const dataDir = process.env.MODELGATE_DEMO_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-demo-'));
fs.chmodSync(dataDir, 0o755);
const port = await new Promise((resolve, reject) => {
  const s = net.createServer().once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const base = `http://127.0.0.1:${port}`;
// MODELGATE_DEMO_MAIN: another build of the service (the demo's own test uses one).
const service = spawn(process.execPath, [process.env.MODELGATE_DEMO_MAIN ?? path.join(ROOT, 'dist', 'main.js')], {
  cwd: ROOT,
  stdio: ['ignore', 'ignore', 'inherit'],
  env: {
    ...process.env,
    MODELGATE_DATA_DIR: dataDir,
    PORT: String(port),
    HOST: '127.0.0.1',
    // The demo speaks HTTP only; a free gRPC port keeps it from clashing with a service already on 8081.
    GRPC_PORT: '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // Short periods so windows of a few seconds are written, checked, judged and paged while you watch.
    MODELGATE_TELEMETRY_FLUSH_MS: '250',
    MODELGATE_MONITOR_FLUSH_MS: '1000',
    MODELGATE_LEADER_POLL_MS: '500',
    MODELGATE_ALERT_EVAL_MS: '500',
    MODELGATE_OUTBOX_POLL_MS: '200',
    MODELGATE_PUBLIC_URL: base,
  },
});
let exited = false;
service.once('exit', (code) => {
  exited = true;
  if (code && code !== 143) console.error(`modelgate exited with ${code}`);
});
const stop = async () => {
  if (!exited) {
    service.kill('SIGTERM');
    for (let i = 0; i < 200 && !exited; i++) await sleep(50);
  }
  receiver.close();
};
process.once('SIGINT', async () => {
  await stop();
  process.exit(130);
});

let key = '';
async function call(method, route, body) {
  const json = body !== undefined && !(body instanceof FormData);
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(json ? { 'content-type': 'application/json' } : {}) },
    body: json ? JSON.stringify(body) : body,
  });
  const text = await res.text();
  const answer = text ? JSON.parse(text) : {};
  if (!res.ok) throw new Error(`${method} ${route} answered ${res.status}: ${JSON.stringify(answer.error ?? answer)}`);
  return answer;
}

/** Waits for the next window boundary, so one phase of traffic lands in one window. */
async function nextWindow() {
  const startMs = (Math.floor(Date.now() / 1000 / WINDOW) + 1) * WINDOW * 1000;
  await sleep(startMs - Date.now() + 50);
  return startMs;
}

const expected = JSON.parse(fs.readFileSync(path.join(FIX, 'loan_default_xgb.expected.json'), 'utf8'));
const features = expected.feature_names;
const csv = fs.readFileSync(path.join(FIX, 'loan_default_xgb.test.csv'), 'utf8').trim().split('\n');
const header = csv[0].split(',');
const rows = csv.slice(1).map((l) => l.split(',').map(Number));
const labelAt = header.indexOf('label');
const std = (j) => {
  const m = rows.reduce((a, r) => a + r[j], 0) / rows.length;
  return Math.sqrt(rows.reduce((a, r) => a + (r[j] - m) ** 2, 0) / rows.length);
};
const SHIFTED = ['income', 'debt_ratio', 'utilization'];
const shifts = SHIFTED.map((f) => [header.indexOf(f), 0.5 * std(header.indexOf(f))]);

/** One phase of traffic: one applicant per request, sticky on x-user-id; labels go back as the lender learns them. */
async function traffic(from, count, shift) {
  const windowEnd = (Math.floor(Date.now() / 1000 / WINDOW) + 1) * WINDOW * 1000;
  const byVariant = {};
  const labels = [];
  let next = from;
  const worker = async () => {
    while (next < from + count) {
      const i = next++;
      const row = rows[i % rows.length].slice();
      for (const [j, d] of shift ? shifts : []) row[j] += d;
      const res = await fetch(`${base}/v1/models/credit/predict`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-user-id': `applicant-${i}` },
        body: JSON.stringify({ instances: [Object.fromEntries(features.map((f) => [f, row[header.indexOf(f)]]))] }),
      });
      if (res.status !== 200) throw new Error(`predict answered ${res.status}: ${await res.text()}`);
      const body = await res.json();
      const v = (byVariant[body.variant] ??= { version: body.version, requests: 0, flipped: 0 });
      v.requests++;
      let label = row[labelAt];
      // The same model file serves both versions here: flipping some of v2's labels makes it the worse one.
      if (body.variant === 'v2' && i % 100 < FLIP * 100) {
        label = 1 - label;
        v.flipped++;
      }
      labels.push({ prediction_id: body.predictions[0].prediction_id, label });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  if (Date.now() > windowEnd) line(`(this traffic took longer than one ${WINDOW} s window: set MODELGATE_DEMO_WINDOW_SECONDS higher on a slow machine)`);
  let accepted = 0;
  for (let k = 0; k < labels.length; k += 500) accepted += (await call('POST', '/v1/feedback', labels.slice(k, k + 500))).accepted;
  return { byVariant, accepted };
}

function trafficTable(t) {
  const total = Object.values(t.byVariant).reduce((a, v) => a + v.requests, 0);
  show(
    ['variant', 'version', 'requests', 'share', 'labels flipped'],
    Object.entries(t.byVariant)
      .sort()
      .map(([name, v]) => [name, v.version, v.requests, `${((100 * v.requests) / total).toFixed(1)}%`, v.flipped]),
  );
  line(`${t.accepted} labels posted to /v1/feedback and accepted`);
}

function verdict(c) {
  if (!c.judged) return `not judged (${c.rows} rows, fewer than min_samples)`;
  return c.drifted_features.length ? `DRIFTED: ${c.drifted_features.join(', ')}` : 'no drift';
}

try {
  say(`Starting Modelgate on the embedded default (data in ${dataDir})`);
  await until('the service to be ready', async () => {
    if (exited) throw new Error('the service exited during start-up (run `npm run build` first?)');
    return (await fetch(`${base}/health/ready`).catch(() => undefined))?.status === 200;
  }, 120_000);
  key = fs.readFileSync(path.join(dataDir, 'admin.key'), 'utf8').trim();
  line(`ready at ${base}; the admin key is in ${path.join(dataDir, 'admin.key')}`);

  say('On-call: a webhook receiver for critical pages');
  await call('POST', '/api/v1/receivers', { type: 'webhook', url: hookUrl, secret: SECRET, match: { models: ['credit'], severities: ['critical'] } });
  line(`POST /api/v1/receivers: ${hookUrl} gets critical pages of model "credit", signed with its secret`);

  const policy = {
    window_seconds: WINDOW,
    min_samples: 500,
    min_labels: 100,
    for_windows: 1,
    resolve_windows: 1,
    severity: { auc: 'critical' },
    runbook_url: { auc: 'https://runbooks.example.com/credit/auc' },
  };
  say('The ML engineer registers model "credit" (loan default, XGBoost exported to ONNX)');
  await call('POST', '/api/v1/models', { name: 'credit', task: 'binary_classification', description: 'loan default (fixture)', monitoring_policy: policy });
  line(`monitoring policy: ${WINDOW} s windows, drift judged from 500 rows, AUC from 100 labels, page after 1 bad window`);
  for (const v of [1, 2]) {
    const form = new FormData();
    form.set('metadata', JSON.stringify({ feature_names: features, categorical_features: ['region', 'product'], metrics: { auc: expected.valid_auc }, tags: { demo: `v${v}` } }));
    form.set('file', new Blob([fs.readFileSync(path.join(FIX, 'loan_default_xgb.onnx'))]), 'model.onnx');
    form.set('baseline', new Blob([fs.readFileSync(path.join(FIX, 'loan_default_xgb.valid.csv'))]), 'baseline.csv');
    const up = await call('POST', '/api/v1/models/credit/versions', form);
    line(`uploaded version ${up.version}: validation AUC ${expected.valid_auc.toFixed(3)}, baseline of 6,000 held-out rows`);
  }
  await call('PUT', '/api/v1/models/credit/aliases/production', { version: 1, reason: 'first release' });
  const split = await call('PUT', '/api/v1/models/credit/traffic', { routes: [{ version: 1, weight: 90 }, { version: 2, weight: 10 }], sticky: 'header:x-user-id', reason: 'A/B test of v2' });
  line(`production is v1; traffic: 90% to v1, 10% to v2 (the candidate), sticky on x-user-id (revision ${split.revision})`);

  const w1 = await nextWindow();
  say(`Window ${clock(w1)}: ${ROWS} loan applications as the model was trained on`);
  const t1 = await traffic(0, ROWS, false);
  trafficTable(t1);
  line(`(both versions are the same model file: ${FLIP * 100}% of v2's labels are flipped to play a worse candidate)`);

  const w2 = await nextWindow();
  say(`Window ${clock(w2)}: ${ROWS} applications with ${SHIFTED.join(', ')} half a standard deviation higher`);
  const t2 = await traffic(ROWS, ROWS, true);
  trafficTable(t2);

  say(`Input drift: waiting for window ${clock(w2)} to end and be checked (GET /api/v1/models/credit/drift)`);
  const drift = await until(
    'the drift check of the second window',
    async () => {
      const d = await call('GET', '/api/v1/models/credit/drift?limit=20');
      return d.checks.some((c) => c.variant === 'v1' && Date.parse(c.window_start) === w2) ? d : undefined;
    },
    WINDOW * 1000 + 30_000,
  );
  const windows = drift.checks.filter((c) => Date.parse(c.window_start) >= w1).sort((a, b) => a.window_start.localeCompare(b.window_start) || a.variant.localeCompare(b.variant));
  show(['window', 'variant', 'rows', 'verdict'], windows.map((c) => [clock(c.window_start), c.variant, c.rows, verdict(c)]));
  const drifted = drift.checks.find((c) => c.variant === 'v1' && Date.parse(c.window_start) === w2);
  line('');
  line(`window ${clock(w2)}, variant v1, per feature (PSI on the baseline's bins; KS p-value Bonferroni-corrected over ${features.length} features):`);
  show(
    ['feature', 'PSI', 'KS statistic', 'KS p-value', 'drifted'],
    drifted.features.filter((f) => f.kind === 'numeric').map((f) => [f.feature, fmt(f.psi), fmt(f.ks_statistic), fmt(f.ks_p_value, 4), f.drifted ? 'yes' : 'no']),
  );
  for (const f of drifted.features.filter((x) => x.kind === 'categorical')) {
    line(`${f.feature} (categorical): chi-square p-value ${fmt(f.chi2_p_value, 4)}, Jensen-Shannon distance ${fmt(f.js_distance)}, ${f.drifted ? 'drifted' : 'not drifted'}`);
  }
  line('Input drift is the applicants changing: it is shown as detected, and no rollback cures it.');
  line('Drift pages are warnings: they are in the alert list below; the receiver takes critical pages only.');

  say('Live AUC per variant from the labels (GET /api/v1/models/credit/performance)');
  const perf = await call('GET', `/api/v1/models/credit/performance?from=${new Date(w1).toISOString()}&bucket=${WINDOW}`);
  show(
    ['variant', 'version', 'predictions', 'labels', 'live AUC', 'validation AUC'],
    perf.series.map((s) => [s.variant, s.version, s.window.predictions, s.window.labels, fmt(s.window.auc), fmt(s.validation.auc)]),
  );
  for (const c of perf.comparisons) {
    line(`DeLong's test, ${c.a.variant} vs ${c.b.variant}: AUC difference ${fmt(c.difference)}, p-value ${fmt(c.p_value, 4)}${c.p_value !== null && c.p_value < 0.05 ? ': the candidate is worse' : ''}`);
  }

  say('Waiting for the candidate\'s AUC page at the webhook receiver');
  const dedup = 'credit/2/v2/auc';
  const page = await until('the AUC page', () => pages.find((p) => p.dedup_key === dedup && p.event === 'trigger'), WINDOW * 3000 + 30_000);
  const a = page.alert;
  line(`PAGE  ${a.severity.toUpperCase()}  ${a.model} version ${a.version} (variant ${a.variant}), rule ${a.rule}`);
  line(`      ${a.summary}`);
  line(`      firing since ${clock(a.started_at)}, dedup key ${page.dedup_key}, signature verified`);
  line(`      runbook: ${a.runbook_url}`);
  line(`      details: ${a.url}`);

  say('On-call rolls back in one call: POST /api/v1/models/credit/rollback');
  const rolled = await call('POST', '/api/v1/models/credit/rollback', { reason: 'v2 AUC below its bar' });
  const rolledAt = Date.now();
  line(`revision ${rolled.revision} restores revision ${rolled.restored_revision}: traffic ${rolled.after.traffic ? 'split' : 'all to production'} (v${rolled.after.aliases.production}); v2 serves nothing now`);

  const resolved = await until('the page to resolve', () => pages.find((p) => p.dedup_key === dedup && p.event === 'resolve'), 60_000);
  say(`Page resolved, ${((resolved.received_at - rolledAt) / 1000).toFixed(1)} s after the rollback`);
  line(`RESOLVED  ${resolved.alert.model} version ${resolved.alert.version} (variant ${resolved.alert.variant}), rule ${resolved.alert.rule}: ${resolved.alert.resolve_reason}, at ${clock(resolved.alert.resolved_at)}`);

  say('Every alert of the model (GET /api/v1/alerts?model=credit)');
  const alerts = (await call('GET', '/api/v1/alerts?model=credit&limit=50')).alerts;
  show(
    ['rule', 'version', 'variant', 'severity', 'state', 'fired at', 'summary'],
    alerts.map((x) => [x.rule, x.version, x.variant, x.severity, x.state === 'resolved' ? `resolved (${x.resolve_reason})` : x.state, clock(x.started_at), x.summary]),
  );
  const stillFiring = alerts.filter((x) => x.state === 'firing' && x.version === 1).map((x) => x.rule);
  line(`The rollback resolved the candidate's page${stillFiring.length ? `; v1 still fires ${stillFiring.join(', ')}: a rollback does not change who applies` : ''}.`);
  say(`Done in ${elapsed()}`);
} catch (err) {
  console.error(`demo failed: ${err.message}`);
  process.exitCode = 1;
} finally {
  await stop();
  if (!process.env.MODELGATE_DEMO_DIR) fs.rmSync(dataDir, { recursive: true, force: true });
}
