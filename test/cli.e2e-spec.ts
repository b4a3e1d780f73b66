import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/common/net.js';
import { ADMIN_TOKEN, eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { findBinary } from './support/binaries.js';
import { createModel, fixture, fixtureBytes, setAlias, uploadOk } from './support/registry.js';
import { inject } from './support/serving.js';

/** The built `modelgate` CLI, spawned as a user would run it, against the running service. */
const ROOT = path.join(import.meta.dirname, '..');
const EXPECTED = JSON.parse(fixtureBytes('loan_default_xgb.expected.json').toString('utf8'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

describe('modelgate CLI', () => {
  let db: TestDatabase;
  let t: TestApp;
  let url: string;
  let dir: string;
  let cli: string;

  const run = (args: string[], env: Record<string, string> = {}): Promise<Run> =>
    new Promise((resolve) => {
      execFile(process.execPath, [cli, ...args], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const ok = async (args: string[], env?: Record<string, string>) => {
    const r = await run(args, env);
    expect(r.code, `${args.join(' ')}\n${r.stderr}${r.stdout}`).toBe(0);
    return r.stdout;
  };
  const json = async (args: string[]) => JSON.parse(await ok([...args, '--json']));

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-cli-'));
    const out = path.join(dir, 'build');
    // The CLI imports nothing from the app: compile just it, as `npm run build` would.
    execFileSync(process.execPath, [
      path.join(ROOT, 'node_modules/typescript/bin/tsc'),
      ...['--outDir', out, '--rootDir', path.join(ROOT, 'src'), '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'ES2023', '--types', 'node', '--strict', '--skipLibCheck', '--ignoreConfig'],
      path.join(ROOT, 'src/cli/main.ts'),
    ]);
    fs.writeFileSync(path.join(out, 'package.json'), '{"type":"module"}');
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
    cli = path.join(out, 'cli', 'main.js');
    db = await createTestDatabase();
    // Short flush, election and evaluation periods, so the monitor tables below show windows the service itself checked and judged.
    t = await startTestApp({ db, env: { MODELGATE_MONITOR_FLUSH_MS: '100', MODELGATE_TELEMETRY_FLUSH_MS: '100', MODELGATE_LEADER_POLL_MS: '100', MODELGATE_ALERT_EVAL_MS: '200' } });
    const port = await freePort();
    await t.app.listen({ port, host: '127.0.0.1' });
    url = `http://127.0.0.1:${port}`;
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a bad key at login with one CODE: message line, then saves a good one readable only by its owner', async () => {
    const bad = await run(['login', '--url', url, '--api-key', 'mgk_nosuchkey_0123456789abcdefghijklmnopqrstuv']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^UNAUTHENTICATED: .+\n$/);
    const file = path.join(dir, '.config', 'modelgate', 'config.json');
    expect(fs.existsSync(file)).toBe(false);

    await ok(['login', '--url', `${url}/`, '--api-key', ADMIN_TOKEN]);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toEqual({ url, api_key: ADMIN_TOKEN });
  });

  it('registers a model, uploads two versions with baseline, metrics, features and tags, and lists them', async () => {
    expect(await ok(['models', 'create', 'loan', '--task', 'binary_classification', '--tag', 'team=risk'])).toMatch(/created model loan/);
    const upload = (tag: string) =>
      json([
        'versions', 'upload', 'loan', fixture('loan_default_xgb.onnx'),
        '--baseline', fixture('loan_default_xgb.valid.csv'),
        '--metrics', `auc=${EXPECTED.valid_auc}`,
        '--feature-names', EXPECTED.feature_names.join(','),
        '--categorical', 'region,product',
        '--tag', `run=${tag}`,
      ]);
    const v1 = await upload('a');
    expect(v1).toMatchObject({ version: 1, feature_names: EXPECTED.feature_names, categorical_features: ['region', 'product'], metrics: { auc: EXPECTED.valid_auc }, tags: { run: 'a' } });
    expect(v1.artifact.sha256).toBe(createHash('sha256').update(fixtureBytes('loan_default_xgb.onnx')).digest('hex'));
    expect((await upload('b')).version).toBe(2);
    const baseline = await t.http.get('/api/v1/models/loan/versions/1/baseline').set(t.admin).expect(200);
    expect(baseline.body.baseline.row_count).toBe(6000);

    const table = await ok(['models', 'list']);
    expect(table.split('\n')[0]).toMatch(/^NAME\s+TASK\s+LATEST/);
    expect(table).toMatch(/^loan\s+binary_classification\s+2\s/m);
    expect((await json(['versions', 'list', 'loan'])).versions.map((v: any) => v.version)).toEqual([2, 1]);
    expect(await ok(['versions', 'list', 'loan'])).toMatch(/^VERSION\s+STATUS/);
    expect(await ok(['versions', 'show', 'loan', '1'])).toMatch(/^version\s+1$/m);
    expect((await json(['models', 'show', 'loan'])).tags).toEqual({ team: 'risk' });
    // Two uploads each score a 6,000-row baseline in a child process: slow on a busy 2-core machine.
  }, 180_000);

  it('creates a model with task tensor, which the server accepts as the contract says', async () => {
    expect(await ok(['models', 'create', 'raw-tensor', '--task', 'tensor'])).toBe('created model raw-tensor (tensor)\n');
    expect((await t.http.get('/api/v1/models/raw-tensor').set(t.admin).expect(200)).body.task).toBe('tensor');
  });

  it('draws an upload progress bar on a terminal', async (ctx) => {
    const script = findBinary('script');
    if (!script) {
      // util-linux's script(1) gives the CLI a terminal; Debian has it in its base system.
      console.warn('skipping the progress bar check: script(1) not found');
      ctx.skip();
    }
    const cmd = [process.execPath, cli, 'versions', 'upload', 'loan', fixture('loan_default_xgb.onnx'), '--feature-names', EXPECTED.feature_names.join(',')].join(' ');
    const r = await new Promise<Run>((resolve) =>
      execFile(script!, ['-qec', cmd, '/dev/null'], { cwd: dir, env: { PATH: process.env.PATH, HOME: dir, TERM: 'dumb' } }, (err, stdout, stderr) =>
        resolve({ code: err ? 1 : 0, stdout, stderr }),
      ),
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const size = fs.statSync(fixture('loan_default_xgb.onnx')).size;
    expect(r.stdout).toContain(`100% ${size}/${size} bytes`);
    expect(r.stdout).toMatch(/uploaded loan version 3/);
  });

  it('downloads an artifact and checks it against the sha256 the service sends', async () => {
    const r = await json(['versions', 'download', 'loan', '2', '-o', path.join(dir, 'v2.onnx')]);
    expect(fs.readFileSync(path.join(dir, 'v2.onnx')).equals(fixtureBytes('loan_default_xgb.onnx'))).toBe(true);
    expect(r.sha256).toHaveLength(64);
  });

  it('moves an alias, sets a sticky 90/10 split, rolls back and shows the history', async () => {
    await ok(['aliases', 'set', 'loan', 'production', '1', '--reason', 'first']);
    await ok(['aliases', 'set', 'loan', 'staging', '2']);
    const shown = await ok(['traffic', 'set', 'loan', '1=90', '2=10', '--sticky', 'header:x-user-id', '--reason', 'A/B of v2']);
    expect(shown).toMatch(/^v1\s+1\s+90$/m);
    expect(shown).toMatch(/^sticky\s+header:x-user-id$/m);
    const policy = (await t.http.get('/api/v1/models/loan/traffic').set(t.admin).expect(200)).body.policy;
    expect(policy).toMatchObject({ routes: [{ version: 1, weight: 90 }, { version: 2, weight: 10 }], sticky: 'header:x-user-id' });
    await ok(['aliases', 'rm', 'loan', 'staging']);

    const back = await json(['rollback', 'loan']);
    expect(back.after.aliases).toEqual({ production: 1, staging: 2 });
    const history = await ok(['history', 'loan']);
    expect(history.split('\n')[0]).toMatch(/^REVISION\s+CHANGE/);
    expect(history).toMatch(/A\/B of v2/);
    expect((await json(['traffic', 'show', 'loan'])).revision).toBe(back.revision);
  });

  it('answers an error with the envelope code and message on one line and a non-zero exit', async () => {
    const r = await run(['models', 'show', 'nope']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^MODEL_NOT_FOUND: [^\n]*nope[^\n]*\n$/);
    expect(r.stdout).toBe('');
    const bad = await run(['traffic', 'set', 'loan', '1=150']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^INVALID_ARGUMENT: route 1=150: weight must be an integer/);
    const usage = await run(['traffic', 'set']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/missing required argument 'model'/);
    await ok(['models', 'create', 'scratch']);
    await ok(['models', 'rm', 'scratch']);
    expect((await run(['models', 'show', 'scratch'])).stderr).toMatch(/^MODEL_NOT_FOUND:/);
  });

  it('lets MODELGATE_URL and MODELGATE_API_KEY override the saved login', async () => {
    const dead = `http://127.0.0.1:${await freePort()}`;
    const r = await run(['models', 'list'], { MODELGATE_URL: dead });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^UNREACHABLE: cannot reach ${dead.replace(/[.]/g, '\\.')} \\(ECONNREFUSED\\)\\n$`));
    const k = await run(['models', 'list'], { MODELGATE_API_KEY: 'mgk_nosuchkey_0123456789abcdefghijklmnopqrstuv' });
    expect(k.stderr).toMatch(/^UNAUTHENTICATED:/);
  });

  it('asks the monitor and alerting routes with the right method, path, query and body', async () => {
    // Those routes are built on other branches: a recording server stands in for
    // where they answer, replying with the service's error envelope.
    const seen: { method: string; url: string; body: string; auth?: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, body, auth: req.headers.authorization });
        res.writeHead(503, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { code: 'DATABASE_UNAVAILABLE', message: 'the database is down', details: {} } }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const stub = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const calls: string[][] = [
        ['drift', 'loan', '--version', '2', '--variant', 'v2'],
        ['performance', 'loan'],
        ['alerts'],
        ['alerts', 'list', '--model', 'loan', '--state', 'firing'],
        ['alerts', 'ack', '01j0000000000000000000000a', '--note', 'looking'],
        ['alerts', 'silence', '--model', 'loan', '--rule', 'feature_drift', '--for', '2h', '--reason', 'retraining'],
      ];
      for (const c of calls) {
        const r = await run(['--url', stub, ...c]);
        expect(r.code, c.join(' ')).toBe(1);
        expect(r.stderr).toBe('DATABASE_UNAVAILABLE: the database is down\n');
      }
      expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual([
        'GET /api/v1/models/loan/drift?version=2&variant=v2',
        'GET /api/v1/models/loan/performance',
        'GET /api/v1/alerts',
        'GET /api/v1/alerts?model=loan&state=firing',
        'POST /api/v1/alerts/01j0000000000000000000000a/ack',
        'POST /api/v1/silences',
      ]);
      expect(seen.every((s) => s.auth === `Bearer ${ADMIN_TOKEN}`)).toBe(true);
      expect(JSON.parse(seen[4].body)).toEqual({ note: 'looking' });
      const silence = JSON.parse(seen[5].body);
      expect(silence.matchers).toEqual({ model: 'loan', rule: 'feature_drift' });
      expect(silence.reason).toBe('retraining');
      expect(Date.parse(silence.ends_at) - Date.now()).toBeGreaterThan(7_100_000);
    } finally {
      server.close();
    }
  });

  describe('on monitor data the running service computed', () => {
    const WINDOW_MS = 3_000;
    const ROWS = 400;
    const csv = fixtureBytes('loan_default_xgb.test.csv').toString('utf8').trim().split('\n');
    const header = csv[0].split(',');
    const rows = csv.slice(1).map((l) => l.split(',').map(Number));
    const features: string[] = EXPECTED.feature_names;
    const SHIFTED = ['income', 'debt_ratio', 'utilization'];
    const std = (j: number) => {
      const m = rows.reduce((a, r) => a + r[j], 0) / rows.length;
      return Math.sqrt(rows.reduce((a, r) => a + (r[j] - m) ** 2, 0) / rows.length);
    };
    const shift = new Map(SHIFTED.map((f) => [header.indexOf(f), 0.5 * std(header.indexOf(f))]));
    const instance = (row: number[], shifted: boolean) => Object.fromEntries(features.map((f) => [f, row[header.indexOf(f)] + (shifted ? (shift.get(header.indexOf(f)) ?? 0) : 0)]));
    let windowStart = 0;

    beforeAll(async () => {
      // One window of traffic, checked and judged by the service's own timers:
      // v1 sees applicants with three features shifted, v2 sees them as trained
      // but a third of its labels are flipped, so its live AUC falls below its bar.
      await createModel(t, 'credit', 'binary_classification', {
        monitoring_policy: { window_seconds: WINDOW_MS / 1000, min_samples: 200, min_labels: 50, for_windows: 1, resolve_windows: 1 },
      });
      for (let v = 0; v < 2; v++) {
        await uploadOk(t, 'credit', {
          file: fixture('loan_default_xgb.onnx'),
          baseline: fixture('loan_default_xgb.valid.csv'),
          metadata: { feature_names: features, categorical_features: ['region', 'product'], metrics: { auc: EXPECTED.valid_auc } },
        });
      }
      await setAlias(t, 'credit', 'production', 1);
      await t.http.put('/api/v1/models/credit/traffic').set(t.admin).send({ routes: [{ version: 1, weight: 50 }, { version: 2, weight: 50 }] }).expect(200);
      await eventually(async () => (await inject(t, 'POST', '/v1/models/credit/versions/2/predict', { instances: [instance(rows[0], false)] })).statusCode === 200, 30_000);
      // Start early in a window after the warm-up's, so all rows, and only they, land in it.
      const warmedIn = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
      await eventually(() => Date.now() % WINDOW_MS < 200 && Date.now() - warmedIn >= WINDOW_MS, 3 * WINDOW_MS, 5);
      windowStart = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS;
      const labels: { prediction_id: string; label: number }[] = [];
      for (const [version, shifted] of [[1, true], [2, false]] as const) {
        for (let i = 0; i < ROWS; i += 50) {
          const batch = rows.slice((version - 1) * ROWS + i, (version - 1) * ROWS + i + 50);
          const res = await inject(t, 'POST', `/v1/models/credit/versions/${version}/predict`, { instances: batch.map((r) => instance(r, shifted)) });
          expect(res.statusCode, res.body).toBe(200);
          res.json().predictions.forEach((p: { prediction_id: string }, k: number) => {
            const truth = batch[k][header.indexOf('label')];
            labels.push({ prediction_id: p.prediction_id, label: version === 2 && k % 3 === 0 ? 1 - truth : truth });
          });
        }
      }
      expect(Date.now()).toBeLessThan(windowStart + WINDOW_MS);
      const fed = await t.http.post('/v1/feedback').set(t.admin).send(labels).expect(200);
      expect(fed.body.accepted).toBe(2 * ROWS);
      await eventually(async () => (await t.http.get('/api/v1/alerts?model=credit&state=firing').set(t.admin)).body.alerts?.length >= 2, 60_000, 250);
    }, 120_000);

    it("prints each window's drift verdict with the drifted features and their scores", async () => {
      const out = await ok(['drift', 'credit']);
      const start = new Date(windowStart).toISOString().replace('.000Z', 'Z');
      expect(out.split('\n')[0]).toMatch(/^WINDOW\s+VERSION\s+VARIANT\s+ROWS\s+VERDICT\s+PREDICTION\s+DRIFTED FEATURES$/);
      const v1 = new RegExp(`^${start}\\s+1\\s+v1\\s+${ROWS}\\s+drifted\\s+\\S+ \\(psi=\\S+ ks=\\S+\\)\\s+(.+)$`, 'm').exec(out);
      expect(v1, out).not.toBeNull();
      const drifted = v1![1].split('; ').map((d) => /^(\w+) \(psi=(0\.\d{3}) ks=(0\.\d{3})\)$/.exec(d));
      expect(drifted.map((d) => d?.[1]).sort()).toEqual([...SHIFTED].sort());
      for (const d of drifted) expect(Number(d![2]) >= 0.2 || Number(d![3]) >= 0.1).toBe(true);
      expect(out).toMatch(new RegExp(`^${start}\\s+2\\s+v2\\s+${ROWS}\\s+ok\\s+ok \\(psi=\\S+ ks=\\S+\\)\\s+-$`, 'm'));
    });

    it("prints one window's per-feature table with --window: method, score, threshold, drifted", async () => {
      const start = new Date(windowStart).toISOString().replace('.000Z', 'Z');
      const out = await ok(['drift', 'credit', '--version', '1', '--window', start]);
      expect(out).toMatch(new RegExp(`^window ${start} to \\S+, version 1, variant v1: ${ROWS} rows, drifted$`, 'm'));
      expect(out).not.toMatch(/variant v2/);
      expect(out).toMatch(/^FEATURE\s+METHOD\s+SCORE\s+THRESHOLD\s+CROSSED\s+DRIFTED$/m);
      for (const f of SHIFTED) expect(out).toMatch(new RegExp(`^${f}\\s+psi\\s+0\\.\\d{3}\\s+>= 0\\.2\\s+(yes|no)\\s+DRIFTED$`, 'm'));
      for (const f of SHIFTED) expect(out).toMatch(new RegExp(`^${f}\\s+ks\\s+0\\.\\d{3} \\(p \\S+\\)\\s+>= 0\\.1 and p < 0\\.0042\\s+yes$`, 'm'));
      expect(out).toMatch(/^age\s+psi\s+0\.0\d\d\s+>= 0\.2\s+no\s+ok$/m);
      expect(out).toMatch(/^region\s+chi_square\s+p \S+\s+p < 0\.0042\s+no\s+ok$/m);
      const other = await run(['drift', 'credit', '--window', 'yesterday']);
      expect(other.code).toBe(1);
      expect(other.stderr).toMatch(/^INVALID_ARGUMENT: --window yesterday: not a time/);
    });

    it("prints live AUC, labels, validation AUC and DeLong's p-value per variant", async () => {
      const out = await ok(['performance', 'credit']);
      expect(out).toMatch(/DeLong's p-value against v[12] \(version [12]\)$/m);
      expect(out).toMatch(/^VERSION\s+VARIANT\s+PREDICTIONS\s+LABELS\s+AUC\s+ESTIMATED AUC \(95%\)\s+VALIDATION AUC\s+DELONG P$/m);
      const row = (v: number) => new RegExp(`^${v}\\s+v${v}\\s+(\\d+)\\s+(\\d+)\\s+(0\\.\\d{3})\\s+(~\\S+ \\(\\S+\\)|-)\\s+0\\.977\\s+(\\S+)$`, 'm').exec(out);
      const [v1, v2] = [row(1), row(2)];
      expect(v1, out).not.toBeNull();
      expect(v2, out).not.toBeNull();
      expect(Number(v1![2])).toBe(ROWS);
      expect(Number(v2![2])).toBe(ROWS);
      expect(Number(v1![3])).toBeGreaterThan(0.9);
      expect(Number(v2![3])).toBeLessThan(0.8);
      // The same numbers as the service's JSON: DeLong's p-value for the pair, on one of the two rows.
      const perf = (await t.http.get('/api/v1/models/credit/performance').set(t.admin).expect(200)).body;
      const p = perf.comparisons[0].p_value as number;
      expect(p).toBeLessThan(1e-6);
      expect([v1![5], v2![5]].sort()).toEqual([p.toExponential(1), 'reference'].sort());
      // Both versions were uploaded with the calibrated loan baseline: their estimates show, marked as such.
      const est = perf.series.find((s: { version: number }) => s.version === 1).window.estimated_auc;
      expect(v1![4]).toBe(`~${est.value.toFixed(3)} (${est.low.toFixed(3)}-${est.high.toFixed(3)})`);
    });

    it('prints one table per feature source with --split feature_source: every prediction of a model without online features was sent', async () => {
      const out = await ok(['performance', 'credit', '--split', 'feature_source']);
      expect(out).toMatch(/^feature source sent: from \S+ to \S+; DeLong's p-value against v[12] \(version [12]\)$/m);
      expect(out).toMatch(new RegExp(`^1\\s+v1\\s+\\d+\\s+${ROWS}\\s+0\\.\\d{3}`, 'm'));
      expect(out).toMatch(/^feature source looked_up: \(no predictions from \S+ to \S+\)$/m);
      const bad = await run(['performance', 'credit', '--split', 'region']);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/VALIDATION_FAILED/);
    });

    it('prints each alert with its summary, state, since and who acknowledged it, after an ack through the CLI', async () => {
      const listed = (await t.http.get('/api/v1/alerts?model=credit').set(t.admin).expect(200)).body.alerts;
      const auc = listed.find((a: any) => a.rule === 'auc' && a.version === 2);
      expect(auc, JSON.stringify(listed)).toBeDefined();
      const before = await ok(['alerts', '--model', 'credit']);
      expect(before.split('\n')[0]).toMatch(/^ID\s+MODEL\s+VERSION\s+VARIANT\s+RULE\s+SEVERITY\s+STATE\s+SINCE\s+ACKNOWLEDGED BY\s+SUMMARY$/);
      const since = auc.started_at.replace(/\.\d{3}Z$/, 'Z');
      expect(before).toMatch(new RegExp(`^${auc.id}\\s+credit\\s+2\\s+v2\\s+auc\\s+critical\\s+firing\\s+${since}\\s+-\\s+live AUC 0\\.\\d{4} \\(bar 0\\.9268, ${ROWS} labels\\)$`, 'm'));
      expect(before).toMatch(/^\S+\s+credit\s+1\s+v1\s+feature_drift\s+warning\s+firing\s+\S+\s+-\s+feature drift in /m);

      await ok(['alerts', 'ack', auc.id, '--note', 'looking']);
      const actor = (await t.http.get(`/api/v1/alerts/${auc.id}`).set(t.admin).expect(200)).body.acknowledgements[0];
      const after = await ok(['alerts', 'list', '--model', 'credit', '--state', 'acknowledged']);
      expect(after.trimEnd().split('\n')).toHaveLength(2);
      expect(after).toMatch(new RegExp(`^${auc.id}\\s+credit\\s+2\\s+v2\\s+auc\\s+critical\\s+acknowledged\\s+${actor.at.replace(/\.\d{3}Z$/, 'Z')}\\s+${actor.actor}\\s+live AUC`, 'm'));
    });
  });
});
