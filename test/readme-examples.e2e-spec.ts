import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/common/net.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

/**
 * The README's monitoring examples run as written: every ```sh block of its
 * monitoring section, in order, in one bash with `set -euo pipefail`, from
 * the repository root, against a started service, with the built `modelgate`
 * CLI on the path. A command that fails (curl -f on a 4xx, a CLI error) fails
 * the test and names its block.
 */
const ROOT = path.join(import.meta.dirname, '..');
const SECTION = '## Monitoring: policy, feedback, drift, performance and alerts';


function shellBlocks(readme: string, heading: string): string[] {
  const start = readme.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README has no section "${heading}"`);
  const rest = readme.slice(start + heading.length + 2);
  const end = rest.search(/\n## /);
  const section = end < 0 ? rest : rest.slice(0, end);
  return [...section.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

describe("the README's monitoring examples", () => {
  let db: TestDatabase;
  let t: TestApp;
  let dir: string;
  let url: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-readme-'));
    const out = path.join(dir, 'build');
    // The CLI imports nothing from the app: compile just it, as `npm run build` would.
    execFileSync(process.execPath, [
      path.join(ROOT, 'node_modules/typescript/bin/tsc'),
      ...['--outDir', out, '--rootDir', path.join(ROOT, 'src'), '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'ES2023', '--types', 'node', '--strict', '--skipLibCheck', '--ignoreConfig'],
      path.join(ROOT, 'src/cli/main.ts'),
    ]);
    fs.writeFileSync(path.join(out, 'package.json'), '{"type":"module"}');
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(out, 'node_modules'));
    fs.mkdirSync(path.join(dir, 'bin'));
    fs.writeFileSync(path.join(dir, 'bin', 'modelgate'), `#!/bin/sh\nexec "${process.execPath}" "${path.join(out, 'cli', 'main.js')}" "$@"\n`, { mode: 0o755 });
    db = await createTestDatabase();
    t = await startTestApp({ db });
    const port = await freePort();
    await t.app.listen({ port, host: '127.0.0.1' });
    url = `http://127.0.0.1:${port}`;
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('finds the examples: setup, policy, feedback, drift, performance and alerts', () => {
    const blocks = shellBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), SECTION);
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    const all = blocks.join('\n');
    for (const used of ['monitoring_policy', '/v1/feedback', '/drift', '/performance', '/alerts', '/receivers', 'modelgate drift', 'modelgate performance', 'modelgate alerts']) {
      expect(all).toContain(used);
    }
  });

  it('keeps a newcomer to two commands at the top, and the README and docs/ stand alone (no pointer to a contract outside the repository)', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const two = shellBlocks(readme, '## Two commands');
    expect(two).toHaveLength(2);
    expect(two[0]).toMatch(/npm start/);
    expect(two[1]).toMatch(/npm test/);
    const docs = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));
    for (const [name, text] of [['README.md', readme], ...docs.map((f) => [`docs/${f}`, fs.readFileSync(path.join(ROOT, 'docs', f), 'utf8')])]) {
      expect(text, name).not.toMatch(/PRODUCT\.md|\.\.\/shared\//);
    }
  });

  it('runs every shell example of the monitoring section as written against a started service', async () => {
    const blocks = shellBlocks(fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'), SECTION);
    const script = ['set -euo pipefail', ...blocks.flatMap((b, i) => [`echo "### block ${i + 1}"`, b])].join('\n');
    const r = await new Promise<{ code: number; out: string; err: string }>((resolve) =>
      execFile(
        '/bin/bash',
        ['-c', script],
        { cwd: ROOT, timeout: 240_000, env: { PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, HOME: dir, MODELGATE_URL: url, MODELGATE_API_KEY: ADMIN_TOKEN } },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr }),
      ),
    );
    const lastBlock = [...r.out.matchAll(/### block (\d+)/g)].pop()?.[1];
    expect(r.code, `failed in block ${lastBlock}:\n${r.err}\n${r.out}`).toBe(0);
    expect(lastBlock).toBe(String(blocks.length));
    // What the examples did, read back from the service.
    const model = (await t.http.get('/api/v1/models/loan').set(t.admin).expect(200)).body;
    expect(model.monitoring_policy).toEqual({ window_seconds: 300, min_labels: 200, auc_min: 0.9 });
    expect(r.out).toMatch(/"accepted":1,"duplicate":0,"conflict":0,"not_found":0/);
    // The label joins at once; the prediction's count reaches its bucket with the next monitor flush (10 s), so 0 or 1 predictions; or the honest "none yet".
    // The estimate needs scored predictions in the window: "-" until the flush, "~0.xxx (lo-hi)" after it.
    expect(r.out).toMatch(
      /^VERSION\s+VARIANT\s+PREDICTIONS\s+LABELS\s+AUC\s+ESTIMATED AUC \(95%\)\s+VALIDATION AUC\s+DELONG P\n1\s+v1\s+[01]\s+1\s+-\s+(?:-|~\d\.\d+ \(\d\.\d+-\d\.\d+\))\s+0\.977\s+-$|\(no predictions from \S+ to \S+\)$/m,
    );
    expect(r.out).toMatch(/\(no drift checks yet: a window is checked once it has ended/m);
    expect(r.out).toMatch(/^\(no drift check for a window starting at 2026-12-07T16:21:50Z\)$/m);
    expect(r.out).toMatch(/\(no alerts\)$/m);
    expect(r.out).toMatch(/^silenced model=loan,rule=feature_drift until /m);
    expect((await t.http.get('/api/v1/receivers').set(t.admin).expect(200)).body.receivers ?? []).toHaveLength(1);
  }, 300_000);
});
