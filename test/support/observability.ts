import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';

const ROOT = path.join(import.meta.dirname, '..', '..');

export interface QueryUse {
  /** Where it is: dashboard file and panel, or rule file and alert. */
  where: string;
  expr: string;
  /** Labels the legend or annotations read from the result. */
  resultLabels: string[];
}

/** Every PromQL expression of the dashboards (panels and template variables) and of the rule files. */
export function observabilityQueries(): QueryUse[] {
  const uses: QueryUse[] = [];
  const dashDir = path.join(ROOT, 'dashboards');
  for (const f of fs.readdirSync(dashDir).filter((x) => x.endsWith('.json'))) {
    const d = JSON.parse(fs.readFileSync(path.join(dashDir, f), 'utf8'));
    for (const p of d.panels) {
      for (const t of p.targets) uses.push({ where: `${f}: ${p.title}`, expr: t.expr, resultLabels: templateLabels(t.legendFormat ?? '', /\{\{\s*(\w+)\s*\}\}/g) });
    }
    for (const v of d.templating.list.filter((x: any) => x.type === 'query')) {
      const m = (v.query.query as string).match(/^label_values\((.*),\s*(\w+)\)$/);
      if (!m) throw new Error(`${f}: variable ${v.name} is not label_values(selector, label)`);
      uses.push({ where: `${f}: $${v.name}`, expr: m[1], resultLabels: [m[2]] });
    }
  }
  const ruleDir = path.join(ROOT, 'helm', 'modelgate', 'rules');
  for (const f of fs.readdirSync(ruleDir).filter((x) => x.endsWith('.yaml'))) {
    for (const g of YAML.parse(fs.readFileSync(path.join(ruleDir, f), 'utf8')).groups) {
      for (const r of g.rules) {
        const text = Object.values(r.annotations ?? {}).join(' ');
        uses.push({ where: `${f}: ${r.alert}`, expr: r.expr, resultLabels: templateLabels(text, /\$labels\.(\w+)/g) });
      }
    }
  }
  return uses;
}

function templateLabels(text: string, re: RegExp): string[] {
  return [...text.matchAll(re)].map((m) => m[1]);
}

/** Labels Prometheus adds or histograms carry, never exported by the service itself. */
export const TARGET_LABELS = new Set(['job', 'instance', 'le']);

export interface Selector {
  metric: string;
  labels: string[];
}

/** The metric selectors of a PromQL expression and the labels each matches on. */
export function selectors(expr: string): Selector[] {
  const out: Selector[] = [];
  for (const m of expr.matchAll(/\b((?:modelgate|up)[a-z0-9_]*)\s*(\{[^}]*\})?/g)) {
    const labels = [...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)].map((x) => x[1]);
    out.push({ metric: m[1], labels });
  }
  return out;
}

/** Labels named in `by`, `without`, `on`, `ignoring` and `group_left/right` clauses. */
export function groupingLabels(expr: string): string[] {
  return [...expr.matchAll(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g)].flatMap((m) =>
    m[1]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** Metric name -> label names, from a Prometheus text exposition (samples and # TYPE lines). */
export function exposition(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const histograms = new Set<string>();
  for (const line of text.split('\n')) {
    const t = line.match(/^# TYPE (\S+) (\S+)/);
    if (t) {
      out.set(t[1], out.get(t[1]) ?? new Set());
      if (t[2] === 'histogram') histograms.add(t[1]);
      continue;
    }
    const s = line.match(/^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s/);
    if (!s) continue;
    let name = s[1];
    const base = name.replace(/_(bucket|sum|count)$/, '');
    if (base !== name && histograms.has(base)) name = base;
    const set = out.get(name) ?? new Set<string>();
    for (const l of (s[2] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)) set.add(l[1]);
    out.set(name, set);
  }
  return out;
}
