import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** `npm run demo` end to end, on a fresh build, with fewer rows and shorter windows than the default. */
const ROOT = path.join(import.meta.dirname, '..');

describe('npm run demo', () => {
  let dir: string;
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-demo-test-'));
    fs.chmodSync(dir, 0o755);
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', path.join(dir, 'dist')]);
    fs.writeFileSync(path.join(dir, 'package.json'), '{"type":"module"}');
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    // The gRPC service reads its .proto files beside dist/, as in the image.
    fs.symlinkSync(path.join(ROOT, 'proto'), path.join(dir, 'proto'));
  }, 600_000);
  afterAll(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('registers, uploads, splits 90/10, sends plain and shifted traffic and labels, and prints the monitor answers', async () => {
    const r = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile(
        process.execPath,
        [path.join(ROOT, 'scripts', 'demo.mjs')],
        {
          cwd: ROOT,
          timeout: 300_000,
          env: { PATH: process.env.PATH, HOME: dir, MODELGATE_DEMO_MAIN: path.join(dir, 'dist', 'main.js'), MODELGATE_DEMO_ROWS: '300', MODELGATE_DEMO_WINDOW_SECONDS: '5' },
        },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      ),
    );
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/uploaded version 1 /);
    expect(r.out).toMatch(/uploaded version 2 /);
    expect(r.out).toMatch(/traffic: 90% to v1, 10% to v2/);
    // Both variants answered plain and shifted traffic.
    const split = [...r.out.matchAll(/answered by variant: (\{.*\})/g)].map((m) => JSON.parse(m[1]));
    expect(split).toHaveLength(2);
    for (const s of split) {
      expect(s.v1 + s.v2).toBe(300);
      expect(s.v2).toBeGreaterThan(0);
      expect(s.v1).toBeGreaterThan(s.v2);
    }
    for (const route of ['/api/v1/models/credit/drift', '/api/v1/models/credit/performance', '/api/v1/alerts']) expect(r.out).toMatch(new RegExp(`GET ${route} -> HTTP \\d{3}`));
    expect(r.out).toMatch(/done in \d+\.\d s/);
  }, 300_000);
});
