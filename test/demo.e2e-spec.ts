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

  it('tells the story: a 90/10 split, input drift detected, live AUC per variant, the candidate paged, one rollback, the page resolved', async () => {
    const r = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile(
        process.execPath,
        [path.join(ROOT, 'scripts', 'demo.mjs')],
        {
          cwd: ROOT,
          timeout: 300_000,
          // 15 s windows (10 by default): one window must hold each phase's 1,500 requests while another suite shares the two cores.
          env: { PATH: process.env.PATH, HOME: dir, MODELGATE_DEMO_MAIN: path.join(dir, 'dist', 'main.js'), MODELGATE_DEMO_WINDOW_SECONDS: '15' },
        },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
      ),
    );
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/uploaded version 1: /);
    expect(r.out).toMatch(/uploaded version 2: /);
    expect(r.out).toMatch(/traffic: 90% to v1, 10% to v2/);
    // Both windows went to both variants, most to v1.
    const split = [...r.out.matchAll(/^ {4}(v[12]) +([12]) +(\d+) +[\d.]+%/gm)].map((m) => ({ variant: m[1], requests: Number(m[3]) }));
    expect(split.map((s) => s.variant)).toEqual(['v1', 'v2', 'v1', 'v2']);
    for (const k of [0, 2]) {
      expect(split[k].requests + split[k + 1].requests).toBe(1500);
      expect(split[k + 1].requests).toBeGreaterThan(50);
      expect(split[k].requests).toBeGreaterThan(5 * split[k + 1].requests);
    }
    // Input drift: the plain window is not drifted, the shifted one is, in exactly the shifted features, with PSI and KS shown.
    expect(r.out).toMatch(/^ {4}\S+ +v1 +\d+ +no drift$/m);
    expect(r.out).toMatch(/^ {4}\S+ +v1 +\d+ +DRIFTED: income, debt_ratio, utilization$/m);
    for (const f of ['income', 'debt_ratio', 'utilization']) expect(r.out).toMatch(new RegExp(`^ {4}${f} +0\\.\\d{3} +0\\.\\d{3} +\\S+ +yes$`, 'm'));
    expect(r.out).toMatch(/^ {4}age +0\.0\d\d +0\.\d{3} +\S+ +no$/m);
    // Live AUC per variant and DeLong's test: the candidate is measurably worse.
    const auc = (v: string) => Number(new RegExp(`^ {4}${v} +\\d +\\d+ +\\d+ +(0\\.\\d+) +0\\.977$`, 'm').exec(r.out)?.[1]);
    expect(auc('v1')).toBeGreaterThan(0.95);
    expect(auc('v2')).toBeLessThan(0.85);
    expect(r.out).toMatch(/DeLong's test, v1 vs v2: AUC difference 0\.\d+, p-value \S+: the candidate is worse/);
    // The page reached the demo's receiver (signed), one rollback, and the same page resolved.
    expect(r.out).toMatch(/PAGE {2}CRITICAL {2}credit version 2 \(variant v2\), rule auc\n +live AUC 0\.\d+ \(bar 0\.9268, \d+ labels\)/);
    expect(r.out).toMatch(/dedup key credit\/2\/v2\/auc, signature verified/);
    expect(r.out).toMatch(/revision 3 restores revision 1: traffic all to production \(v1\)/);
    expect(r.out).toMatch(/RESOLVED {2}credit version 2 \(variant v2\), rule auc: not serving/);
    expect(r.out).toMatch(/^ {4}auc +2 +v2 +critical +resolved \(not serving\)/m);
    // The rollback cures the candidate's page, not the input drift.
    expect(r.out).toMatch(/^ {4}feature_drift +1 +v1 +warning +firing /m);
    // The time is reported, not asserted.
    expect(r.out).toMatch(/Done in \d+\.\d s/);
    console.log(`demo ran in ${/Done in (\S+ s)/.exec(r.out)?.[1]}`);
  }, 300_000);
});
