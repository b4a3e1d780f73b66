import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/** The dashboards' shape; whether their queries match the service is test/observability.e2e-spec.ts. */
const DIR = path.join(import.meta.dirname, '..', 'dashboards');
const load = (f: string) => JSON.parse(fs.readFileSync(path.join(DIR, f), 'utf8'));

describe('Grafana dashboards', () => {
  const files = fs.readdirSync(DIR).filter((f) => f.endsWith('.json'));

  it('are an overview and a model drill-down with model and variant variables and a data source choice', () => {
    expect(files.sort()).toEqual(['modelgate-model.json', 'modelgate-overview.json']);
    for (const f of files) {
      const d = load(f);
      const vars = d.templating.list.map((v: any) => v.name);
      expect(vars, f).toEqual(['datasource', 'model', 'variant']);
      expect(d.uid, f).toMatch(/^modelgate-/);
    }
    // The drill-down is about one model at a time.
    expect(load('modelgate-model.json').templating.list[1].multi).toBe(false);
  });

  it('give every panel a unique id, a place on the grid, the chosen data source and a query per target', () => {
    for (const f of files) {
      const d = load(f);
      const ids = d.panels.map((p: any) => p.id);
      expect(new Set(ids).size, f).toBe(ids.length);
      for (const p of d.panels) {
        expect(p.datasource.uid, `${f}: ${p.title}`).toBe('${datasource}');
        expect(p.gridPos.w, `${f}: ${p.title}`).toBeGreaterThan(0);
        expect(p.gridPos.x + p.gridPos.w, `${f}: ${p.title}`).toBeLessThanOrEqual(24);
        expect(p.targets.length, `${f}: ${p.title}`).toBeGreaterThan(0);
        for (const t of p.targets) expect(t.expr, `${f}: ${p.title}`).toMatch(/modelgate_/);
      }
    }
  });

  it('cover what on-call looks for', () => {
    const titles = (f: string) => load(f).panels.map((p: any) => p.title.toLowerCase()).join('\n');
    const overview = titles('modelgate-overview.json');
    for (const w of ['requests per second', 'p50 and p99', 'error rate', 'fallback', 'shed', 'loaded']) expect(overview).toContain(w);
    const model = titles('modelgate-model.json');
    for (const w of ['feature drift', 'prediction drift', 'missing rate', 'out-of-range', 'unseen', 'live auc vs validation auc', 'firing alerts', 'rollout']) expect(model).toContain(w);
  });
});
