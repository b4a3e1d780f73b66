import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/common/net.js';
import { Metrics } from '../src/metrics/metrics.js';
import { eventually, startTestApp, type TestApp } from './support/app.js';
import { describeWithBinary } from './support/binaries.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { exposition, groupingLabels, observabilityQueries, selectors, TARGET_LABELS } from './support/observability.js';
import { startProcess, waitFor200, type RunningProcess } from './support/process.js';
import { createModel, fixture, fixtureBytes, setAlias, uploadOk } from './support/registry.js';

/**
 * Metrics the dashboards and rules may use before the service exports them,
 * with the labels they will carry (empty: every one is exported). The test
 * fails once a listed one is exported, so the list cannot go stale.
 */
const PENDING: Record<string, string[]> = {};

const EXPECTED = JSON.parse(fixtureBytes('loan_default_xgb.expected.json').toString('utf8'));
const ROWS = fixtureBytes('loan_default_xgb.test.csv')
  .toString('utf8')
  .trim()
  .split('\n')
  .slice(1, 51)
  .map((l) => Object.fromEntries(EXPECTED.feature_names.map((f: string, i: number) => [f, Number(l.split(',')[i])])));

describe('dashboards and rules against the running service', () => {
  let db: TestDatabase;
  let t: TestApp;
  let baseUrl: string;

  const predict = (i: number) =>
    fetch(`${baseUrl}/v1/models/loan/predict`, {
      method: 'POST',
      headers: { ...t.admin, 'content-type': 'application/json' },
      body: JSON.stringify({ instances: [ROWS[i % ROWS.length]] }),
    }).then((r) => r.status);

  beforeAll(async () => {
    db = await createTestDatabase();
    t = await startTestApp({ db });
    const port = await freePort();
    await t.app.listen({ port, host: '127.0.0.1' });
    baseUrl = `http://127.0.0.1:${port}`;
    await createModel(t, 'loan');
    await uploadOk(t, 'loan', { file: fixture('loan_default_xgb.onnx'), metadata: { feature_names: EXPECTED.feature_names, metrics: { auc: EXPECTED.valid_auc } } });
    await setAlias(t, 'loan', 'production', 1);
    await eventually(async () => (await predict(0)) === 200, 30_000, 100);
    for (let i = 1; i < 20; i++) expect(await predict(i)).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await db?.drop();
  });

  it('exports every metric and label a dashboard panel, variable or alert rule uses', async () => {
    const scraped = exposition(await (await fetch(`${baseUrl}/metrics`)).text());
    const registry = t.app.get(Metrics).registry;
    const labelsOf = (metric: string): Set<string> | undefined => {
      if (metric === 'up') return new Set();
      const base = scraped.has(metric) ? metric : metric.replace(/_(bucket|sum|count)$/, '');
      if (PENDING[base]) {
        expect(scraped.has(base), `${base} is exported now: remove it from PENDING in this test`).toBe(false);
        return new Set(PENDING[base]);
      }
      const seen = scraped.get(base);
      if (!seen) return undefined;
      // Series appear on first use; the definition names the labels of those not used yet.
      const declared = ((registry.getSingleMetric(base) as unknown as { labelNames?: string[] })?.labelNames ?? []) as string[];
      return new Set([...seen, ...declared]);
    };
    const uses = observabilityQueries();
    expect(uses.length).toBeGreaterThan(30);
    const problems: string[] = [];
    for (const u of uses) {
      const available = new Set(TARGET_LABELS);
      const sels = selectors(u.expr);
      if (!sels.length) problems.push(`${u.where}: no metric in ${u.expr}`);
      for (const s of sels) {
        const labels = labelsOf(s.metric);
        if (!labels) {
          problems.push(`${u.where}: ${s.metric} is not exported`);
          continue;
        }
        labels.forEach((l) => available.add(l));
        for (const l of s.labels) if (!labels.has(l) && !TARGET_LABELS.has(l)) problems.push(`${u.where}: ${s.metric} has no label ${l}`);
      }
      for (const l of [...groupingLabels(u.expr), ...u.resultLabels]) if (!available.has(l)) problems.push(`${u.where}: no metric in it has label ${l}`);
    }
    expect(problems).toEqual([]);
  });

  it('reads metric names and labels out of PromQL the way the check above relies on', () => {
    const expr = 'sum by (model, le) (rate(modelgate_x_bucket{job="modelgate",model=~"$model"}[5m])) / ignoring(code) group_left up';
    expect(selectors(expr)).toEqual([
      { metric: 'modelgate_x_bucket', labels: ['job', 'model'] },
      { metric: 'up', labels: [] },
    ]);
    expect(groupingLabels(expr)).toEqual(['model', 'le', 'code']);
  });

  describeWithBinary('prometheus', 'prometheus', 'a real Prometheus', (prometheusBin) => {
    let dir: string;
    let prom: RunningProcess | undefined;
    let promUrl: string;

    beforeAll(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-prometheus-'));
      const promPort = await freePort();
      promUrl = `http://127.0.0.1:${promPort}`;
      const cfg = path.join(dir, 'prometheus.yml');
      fs.writeFileSync(
        cfg,
        [
          'global: { scrape_interval: 1s, evaluation_interval: 1s }',
          'scrape_configs:',
          '  - job_name: modelgate',
          `    static_configs: [{ targets: ['${new URL(baseUrl).host}'] }]`,
          '',
        ].join('\n'),
      );
      prom = startProcess(prometheusBin, [`--config.file=${cfg}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`], {
        cwd: dir,
        env: { PATH: process.env.PATH },
      });
      await waitFor200(prom, `${promUrl}/-/ready`, 60_000);
    });
    afterAll(async () => {
      await prom?.stop('SIGTERM');
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('scrapes the service and answers the overview dashboard traffic and latency queries', async () => {
      const overview = JSON.parse(fs.readFileSync(path.join(import.meta.dirname, '..', 'dashboards', 'modelgate-overview.json'), 'utf8'));
      const exprOf = (title: string, i = 0) => {
        const p = overview.panels.find((x: any) => x.title === title);
        return (p.targets[i].expr as string).replaceAll('$model', 'loan').replaceAll('$variant', '.*').replaceAll('$__rate_interval', '10s');
      };
      const query = async (expr: string) => {
        const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
        const body = (await res.json()) as any;
        expect(body.status, JSON.stringify(body)).toBe('success');
        return body.data.result as { metric: Record<string, string>; value: [number, string] }[];
      };
      let i = 0;
      const traffic = await eventually(
        async () => {
          // Traffic keeps flowing while Prometheus collects enough samples for a rate.
          for (let k = 0; k < 5; k++) await predict(i++);
          const r = await query(exprOf('Requests per second by model, version and variant'));
          return r.length > 0 && Number(r[0].value[1]) > 0 ? r : undefined;
        },
        60_000,
        250,
      );
      expect(traffic![0].metric).toMatchObject({ model: 'loan', version: '1' });
      const p99 = await query(exprOf('Latency p50 and p99 by model', 1));
      expect(p99[0].metric.model).toBe('loan');
      expect(Number(p99[0].value[1])).toBeGreaterThan(0);
      expect(Number(p99[0].value[1])).toBeLessThan(5);
    });
  });
});
