#!/usr/bin/env node
// `npm run demo`: the whole story on the embedded default, in one terminal.
// Boots the built service in a temporary data directory, registers the
// fixture credit model, uploads two versions, splits traffic 90/10, sends
// traffic, then traffic with three features shifted and its labels, and
// prints what the drift, performance and alert endpoints answer, whatever
// that is. Monitoring windows are short (MODELGATE_DEMO_WINDOW_SECONDS,
// default 10) so the windows close while you watch.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const FIX = path.join(ROOT, 'test', 'fixtures');
const WINDOW = Number(process.env.MODELGATE_DEMO_WINDOW_SECONDS ?? 10);
const ROWS = Number(process.env.MODELGATE_DEMO_ROWS ?? 1500);
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
const say = (m) => process.stdout.write(`\n[${elapsed()}] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer().once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

const dataDir = process.env.MODELGATE_DEMO_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-demo-'));
fs.chmodSync(dataDir, 0o755);
const port = await freePort();
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
    GRPC_PORT: process.env.GRPC_PORT ?? '0',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // Short flushes so windows of a few seconds fill and close during the demo.
    MODELGATE_TELEMETRY_FLUSH_MS: process.env.MODELGATE_TELEMETRY_FLUSH_MS ?? '250',
    MODELGATE_MONITOR_FLUSH_MS: process.env.MODELGATE_MONITOR_FLUSH_MS ?? '1000',
    MODELGATE_LEADER_POLL_MS: process.env.MODELGATE_LEADER_POLL_MS ?? '500',
  },
});
let exited = false;
service.once('exit', (code) => {
  exited = true;
  if (code && code !== 143) console.error(`modelgate exited with ${code}`);
});
const stop = async () => {
  if (exited) return;
  service.kill('SIGTERM');
  for (let i = 0; i < 200 && !exited; i++) await sleep(50);
};
process.once('SIGINT', async () => {
  await stop();
  process.exit(130);
});

let key = '';
async function call(method, route, body, { quiet = false } = {}) {
  const res = await fetch(`${base}${route}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body instanceof FormData || body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body instanceof FormData ? body : body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  if (!res.ok && !quiet) console.log(`  ${method} ${route} -> ${res.status} ${typeof json === 'string' ? json : JSON.stringify(json.error ?? json)}`);
  return { status: res.status, body: json };
}
function show(label, r) {
  const text = JSON.stringify(r.body, null, 2);
  const lines = text.split('\n');
  console.log(`  ${label} -> HTTP ${r.status}`);
  console.log(
    lines
      .slice(0, 40)
      .map((l) => `    ${l}`)
      .join('\n') + (lines.length > 40 ? `\n    … (${lines.length - 40} more lines)` : ''),
  );
}

try {
  say(`starting Modelgate on the embedded default (data in ${dataDir})`);
  for (;;) {
    if (exited) throw new Error('the service exited during start-up (run `npm run build` first?)');
    const r = await fetch(`${base}/health/ready`).catch(() => undefined);
    if (r?.status === 200) break;
    await sleep(250);
  }
  key = fs.readFileSync(path.join(dataDir, 'admin.key'), 'utf8').trim();
  say(`ready at ${base}; admin key in ${path.join(dataDir, 'admin.key')}`);

  const expected = JSON.parse(fs.readFileSync(path.join(FIX, 'loan_default_xgb.expected.json'), 'utf8'));
  const features = expected.feature_names;
  const policy = { window_seconds: WINDOW, min_samples: 200, min_labels: 100, for_windows: 1, resolve_windows: 1 };
  say(`registering model "credit" with ${WINDOW} s monitoring windows`);
  let created = await call('POST', '/api/v1/models', { name: 'credit', task: 'binary_classification', description: 'loan default (fixture)', monitoring_policy: policy }, { quiet: true });
  if (created.status === 400) {
    // This build's policy schema knows fewer keys: keep the ones it accepts.
    console.log(`  full monitoring policy refused (${created.body.error?.message}); using window_seconds and min_samples only`);
    created = await call('POST', '/api/v1/models', { name: 'credit', task: 'binary_classification', monitoring_policy: { window_seconds: WINDOW, min_samples: 200 } });
  }
  if (created.status !== 201) throw new Error(`could not create the model: ${JSON.stringify(created.body)}`);

  for (const v of [1, 2]) {
    const form = new FormData();
    form.set('metadata', JSON.stringify({ feature_names: features, categorical_features: ['region', 'product'], metrics: { auc: expected.valid_auc }, tags: { demo: `v${v}` } }));
    form.set('file', new Blob([fs.readFileSync(path.join(FIX, 'loan_default_xgb.onnx'))]), 'model.onnx');
    form.set('baseline', new Blob([fs.readFileSync(path.join(FIX, 'loan_default_xgb.valid.csv'))]), 'baseline.csv');
    const up = await call('POST', '/api/v1/models/credit/versions', form);
    if (up.status !== 201) throw new Error('upload failed');
    say(`uploaded version ${up.body.version} (validation AUC ${expected.valid_auc.toFixed(3)}, baseline of 6,000 held-out rows)`);
  }
  await call('PUT', '/api/v1/models/credit/aliases/production', { version: 1, reason: 'demo' });
  const split = await call('PUT', '/api/v1/models/credit/traffic', { routes: [{ version: 1, weight: 90 }, { version: 2, weight: 10 }], sticky: 'header:x-user-id', reason: 'A/B test of v2' });
  say(`traffic: 90% to v1, 10% to v2, sticky on x-user-id (revision ${split.body.revision})`);

  const csv = fs.readFileSync(path.join(FIX, 'loan_default_xgb.test.csv'), 'utf8').trim().split('\n');
  const header = csv[0].split(',');
  const rows = csv.slice(1).map((l) => l.split(',').map(Number));
  const labelAt = header.indexOf('label');
  const std = (j) => {
    const xs = rows.map((r) => r[j]);
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length);
  };
  const shifted = ['income', 'debt_ratio', 'utilization'].map((f) => [header.indexOf(f), 0.5 * std(header.indexOf(f))]);

  async function send(from, count, shift) {
    const variants = {};
    const labels = [];
    let next = from;
    const worker = async () => {
      while (next < from + count) {
        const i = next++;
        const row = rows[i % rows.length].slice();
        for (const [j, d] of shift ? shifted : []) row[j] += d;
        const instance = Object.fromEntries(features.map((f) => [f, row[header.indexOf(f)]]));
        const res = await fetch(`${base}/v1/models/credit/predict`, {
          method: 'POST',
          headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-user-id': `user-${i}` },
          body: JSON.stringify({ instances: [instance] }),
        });
        if (res.status !== 200) continue;
        const body = await res.json();
        variants[body.variant] = (variants[body.variant] ?? 0) + 1;
        labels.push({ prediction_id: body.predictions[0].prediction_id, label: rows[i % rows.length][labelAt] });
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    return { variants, labels };
  }

  say(`sending ${ROWS} predictions of unshifted test rows`);
  const before = await send(0, ROWS, false);
  console.log(`  answered by variant: ${JSON.stringify(before.variants)}`);
  // Let the first traffic's window close before the shifted traffic starts.
  const windowEnd = (Math.floor(Date.now() / 1000 / WINDOW) + 1) * WINDOW * 1000;
  await sleep(Math.max(0, windowEnd - Date.now()));
  say(`sending ${ROWS} predictions with income, debt_ratio and utilization shifted by 0.5 standard deviation`);
  const after = await send(ROWS, ROWS, true);
  console.log(`  answered by variant: ${JSON.stringify(after.variants)}`);

  const labels = [...before.labels, ...after.labels];
  say(`sending ${labels.length} ground-truth labels`);
  let feedback;
  for (let i = 0; i < labels.length; i += 500) feedback = await call('POST', '/v1/feedback', labels.slice(i, i + 500), { quiet: true });
  if (feedback) console.log(`  last feedback answer: HTTP ${feedback.status} ${JSON.stringify(feedback.body.error ?? { accepted: feedback.body.accepted, duplicate: feedback.body.duplicate, not_found: feedback.body.not_found })}`);

  // The shifted window is judged once it has ended plus a grace of two flush periods.
  const judgedAt = (Math.floor(Date.now() / 1000 / WINDOW) + 1) * WINDOW * 1000 + 2_000 + 1_000;
  say(`waiting ${Math.ceil((judgedAt - Date.now()) / 1000)} s for the window to close and be checked`);
  await sleep(Math.max(0, judgedAt - Date.now()));
  let drift;
  for (let i = 0; i < 20; i++) {
    drift = await call('GET', '/api/v1/models/credit/drift', undefined, { quiet: true });
    const hasDrifted = JSON.stringify(drift.body).includes('"drifted":true');
    if (drift.status === 404 || hasDrifted) break;
    await sleep(1_000);
  }

  say('what the monitor says');
  show('GET /api/v1/models/credit/drift', drift);
  show('GET /api/v1/models/credit/performance', await call('GET', '/api/v1/models/credit/performance', undefined, { quiet: true }));
  show('GET /api/v1/alerts', await call('GET', '/api/v1/alerts?model=credit', undefined, { quiet: true }));
  if (drift.status === 404) console.log('\n  (404 NOT_FOUND: this build has no monitor routes yet; the rest of the story ran.)');
  say(`done in ${elapsed()}`);
} catch (err) {
  console.error(`demo failed: ${err.message}`);
  process.exitCode = 1;
} finally {
  await stop();
  if (!process.env.MODELGATE_DEMO_DIR) fs.rmSync(dataDir, { recursive: true, force: true });
}
