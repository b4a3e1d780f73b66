import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect, it } from 'vitest';
import YAML from 'yaml';
import { describeWithBinary } from './support/binaries.js';

const ROOT = path.join(import.meta.dirname, '..');
const RULES_DIR = path.join(ROOT, 'helm/modelgate/rules');
const TESTS_DIR = path.join(ROOT, 'deploy/prometheus/tests');
const ruleFiles = fs.readdirSync(RULES_DIR).filter((f) => f.endsWith('.yaml')).map((f) => path.join(RULES_DIR, f));
const testFiles = fs.readdirSync(TESTS_DIR).filter((f) => f.endsWith('.test.yaml')).map((f) => path.join(TESTS_DIR, f));

const run = (bin: string, args: string[]) => {
  try {
    return { code: 0, out: execFileSync(bin, args, { cwd: ROOT, encoding: 'utf8', stdio: 'pipe' }) };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, out: `${e.stdout}${e.stderr}` };
  }
};

it('has a promtool test that sees every alert fire and stay quiet', () => {
  const alerts = ruleFiles.flatMap((f) => YAML.parse(fs.readFileSync(f, 'utf8')).groups.flatMap((g: any) => g.rules.map((r: any) => r.alert)));
  expect(alerts.length).toBeGreaterThanOrEqual(9);
  const cases = testFiles.flatMap((f) => YAML.parse(fs.readFileSync(f, 'utf8')).tests.flatMap((t: any) => t.alert_rule_test ?? []));
  for (const alert of alerts) {
    const mine = cases.filter((c: any) => c.alertname === alert);
    expect(mine.some((c: any) => c.exp_alerts.length > 0), `${alert} is never seen firing`).toBe(true);
    expect(mine.some((c: any) => c.exp_alerts.length === 0), `${alert} is never seen quiet`).toBe(true);
  }
});

describeWithBinary('promtool', 'prometheus', 'Prometheus rules', (promtool) => {
  it('pass promtool check rules', () => {
    const r = run(promtool, ['check', 'rules', ...ruleFiles]);
    expect(r.code, r.out).toBe(0);
  });

  it('pass their promtool unit tests', () => {
    const r = run(promtool, ['test', 'rules', ...testFiles]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toMatch(/FAILED/);
  });

  it('load in the plain Prometheus configuration', () => {
    const r = run(promtool, ['check', 'config', path.join(ROOT, 'deploy/prometheus/prometheus.yml')]);
    expect(r.code, r.out).toBe(0);
  });
});
