import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Where the browser tests leave screenshots of each page; .gitignore keeps it out. */
export const SCREENSHOTS = path.join(ROOT, 'screenshots');

/** A digest of the console's sources and build config: the same sources build the same console. */
function sourceDigest(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else hash.update(path.relative(ROOT, p)).update(fs.readFileSync(p));
    }
  };
  walk(path.join(ROOT, 'ui'));
  hash.update(fs.readFileSync(path.join(ROOT, 'package-lock.json')));
  return hash.digest('hex').slice(0, 16);
}

/**
 * Builds the console from the current sources into a scratch directory
 * named by their digest, so a browser test never runs against a stale
 * dist/ui and suites running at once share one build (Vite refuses a second
 * build of the same project while one runs: wait for it). Fails loudly, with
 * vite's output, when the build does not work.
 */
export async function buildConsole(): Promise<string> {
  const out = path.join(os.tmpdir(), `modelgate-ui-${sourceDigest()}`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (fs.existsSync(path.join(out, 'index.html'))) return out;
    const scratch = fs.mkdtempSync(`${out}-building-`);
    try {
      execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'ui/vite.config.ts', '--outDir', scratch, '--emptyOutDir', '--logLevel', 'warn'], {
        cwd: ROOT,
        stdio: 'pipe',
      });
      if (!fs.existsSync(path.join(scratch, 'index.html'))) throw new Error(`vite build wrote no index.html into ${scratch}`);
      try {
        fs.renameSync(scratch, out);
      } catch {
        // Another suite finished the same build first.
        fs.rmSync(scratch, { recursive: true, force: true });
      }
      return out;
    } catch (err) {
      fs.rmSync(scratch, { recursive: true, force: true });
      const e = err as { stdout?: Buffer; stderr?: Buffer; message: string };
      const output = `${e.stdout?.toString() ?? ''}${e.stderr?.toString() ?? ''}` || e.message;
      if (/another Vite build process/i.test(output) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        continue;
      }
      throw new Error(`the console does not build (npm run build:ui):\n${output}`);
    }
  }
}

const AXE = fs.readFileSync(path.join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/**
 * Runs axe-core in the page (evaluated through the DevTools protocol, which
 * the page's CSP does not govern) and expects no serious or critical
 * violation of WCAG 2 A/AA.
 */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  await page.evaluate(`${AXE}\n;void 0`);
  const violations = (await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe;
    const r = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target })) }));
  })) as AxeViolation[];
  const bad = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(bad, `${what}: ${JSON.stringify(bad, null, 1)}`).toEqual([]);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
