import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { chromium } from 'playwright-core';
import supertest from 'supertest';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApp } from '../src/app.factory.js';
import { loadConfig } from '../src/config/config.schema.js';
import { eventually } from './support/app.js';
import { describeWithBinary } from './support/binaries.js';
import { buildConsole, SCREENSHOTS } from './support/browser.js';
import { fixture, fixtureBytes } from './support/registry.js';

/**
 * How fast the model page becomes interactive on the embedded default (no
 * DATABASE_URL: the service's own PostgreSQL) with 10,000 predictions in
 * the window its live-quality table reads. Measured and reported, not
 * asserted (the bar is 300 ms): the figure goes to the log and to
 * screenshots/model-page-tti.json.
 */
const PREDICTIONS = 10_000;

interface Timing {
  interactive_ms: number;
  complete_ms: number;
  dom_interactive_ms: number;
  calls: Record<string, number>;
}
const ROUNDS = 5;

describeWithBinary('chromium', 'chromium', 'the model page on the embedded default with 10,000 predictions', (chromiumPath) => {
  let dir: string;
  let ui: string;
  let app: NestFastifyApplication | undefined;
  let base: string;
  let key: string;
  let self: unknown;

  beforeAll(async () => {
    ui = await buildConsole();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-tti-'));
    fs.chmodSync(dir, 0o755);
    app = await createApp(loadConfig({ MODELGATE_DATA_DIR: dir, LOG_LEVEL: 'warn', GRPC_PORT: '0' }), { uiDir: ui });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
    const http = supertest(app.getHttpServer());
    await eventually(async () => (await http.get('/health/ready')).status === 200, 60_000);
    key = fs.readFileSync(path.join(dir, 'admin.key'), 'utf8').trim();
    const auth = { Authorization: `Bearer ${key}` };
    self = (await http.get('/api/v1/keys/self').set(auth).expect(200)).body;
    const expected = JSON.parse(fixtureBytes('loan_default_xgb.expected.json').toString('utf8'));
    await http.post('/api/v1/models').set(auth).send({ name: 'loan', task: 'binary_classification' }).expect(201);
    const up = await http
      .post('/api/v1/models/loan/versions')
      .set(auth)
      .field('metadata', JSON.stringify({ feature_names: expected.feature_names, categorical_features: expected.categorical_features }))
      .attach('file', fs.readFileSync(fixture('loan_default_xgb.onnx')), 'model.onnx')
      .attach('baseline', fs.readFileSync(fixture('loan_default_xgb.valid.csv')), 'baseline.csv');
    expect(up.status, JSON.stringify(up.body)).toBe(201);
    await http.put('/api/v1/models/loan/aliases/production').set(auth).send({ version: 1 }).expect(200);
    const row = Object.fromEntries((expected.feature_names as string[]).map((f, i) => [f, (i % 3) + 0.5]));
    await eventually(async () => (await http.post('/v1/models/loan/predict').set(auth).send({ instances: [row] })).status === 200, 30_000);
    for (let i = 1; i < PREDICTIONS; i += 500) {
      const n = Math.min(500, PREDICTIONS - i);
      await http.post('/v1/models/loan/predict').set(auth).send({ instances: Array.from({ length: n }, () => row) }).expect(200);
    }
    // The prediction log is written behind the answers: wait until the window holds every one.
    await eventually(async () => {
      const r = await http.get('/api/v1/models/loan/performance').set(auth);
      return r.body.series?.[0]?.window.predictions === PREDICTIONS;
    }, 60_000, 200);
  });
  afterAll(async () => {
    await app?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reports the time until the model page is interactive', async () => {
    const browser = await chromium.launch({ executablePath: chromiumPath, headless: true });
    const times: Timing[] = [];
    try {
      for (let round = 0; round <= ROUNDS; round++) {
        const context = await browser.newContext();
        // Signed in earlier in the tab, as after the sign-in page: the key and what it may do are in sessionStorage.
        await context.addInitScript(`sessionStorage.setItem('modelgate.apiKey', ${JSON.stringify(key)}); sessionStorage.setItem('modelgate.keySelf', ${JSON.stringify(JSON.stringify(self))})`);
        const page = await context.newPage();
        await page.goto(`${base}/ui/models/loan`);
        await page.locator('[data-ready="true"]').waitFor();
        // The page's own marks and each API call's duration, read in the page (a string: this file has no DOM types).
        const t = (await page.evaluate(`(() => {
          const mark = (n) => performance.getEntriesByName(n)[0]?.startTime ?? NaN;
          const calls = {};
          for (const r of performance.getEntriesByType('resource')) if (r.name.includes('/api/')) calls[new URL(r.name).pathname.replace(/^.*\\/loan/, '') || '/'] = Math.round(r.duration);
          return { interactive_ms: mark('modelgate:model-interactive'), complete_ms: mark('modelgate:model-complete'), dom_interactive_ms: performance.getEntriesByType('navigation')[0].domInteractive, calls };
        })()`)) as Timing;
        expect(await page.getByTestId('live-quality').textContent()).toContain(String(PREDICTIONS));
        // The first round warms the browser's cache and the service's statements; it is not counted.
        if (round > 0) times.push(t);
        await context.close();
      }
    } finally {
      await browser.close();
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const report = {
      predictions_in_window: PREDICTIONS,
      rounds: ROUNDS,
      median_interactive_ms: Math.round(median(times.map((x) => x.interactive_ms))),
      max_interactive_ms: Math.round(Math.max(...times.map((x) => x.interactive_ms))),
      median_complete_ms: Math.round(median(times.map((x) => x.complete_ms))),
      median_dom_interactive_ms: Math.round(median(times.map((x) => x.dom_interactive_ms))),
      median_call_ms: Object.fromEntries(Object.keys(times[0].calls).map((k) => [k, median(times.map((x) => x.calls[k] ?? NaN))])),
      bar_ms: 300,
      // Nine test runs share this machine's two cores: the figure means little without the load it was taken under.
      load_average_1m: Math.round(os.loadavg()[0] * 10) / 10,
      cpus: os.cpus().length,
    };
    console.log(`model page interactive: ${JSON.stringify(report)}`);
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    fs.writeFileSync(path.join(SCREENSHOTS, 'model-page-tti.json'), `${JSON.stringify(report, null, 2)}\n`);
    expect(times).toHaveLength(ROUNDS);
  });
});
