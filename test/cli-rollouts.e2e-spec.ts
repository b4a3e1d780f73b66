import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../src/common/net.js';
import { ADMIN_TOKEN, eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { logisticBinaryClassifier } from './support/onnx-builder.js';
import { createModel, setAlias, uploadOk } from './support/registry.js';

/** `modelgate rollout ...`: the built CLI, spawned as a user runs it, against the running service. */
const ROOT = path.join(import.meta.dirname, '..');

describe('modelgate rollout', () => {
  let db: TestDatabase;
  let t: TestApp;
  let dir: string;
  let cli: string;
  let env: Record<string, string>;

  const run = (args: string[]): Promise<{ code: number; stdout: string; stderr: string }> =>
    new Promise((resolve) => {
      execFile(process.execPath, [cli, ...args], { cwd: dir, env, timeout: 60_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  const ok = async (args: string[]) => {
    const r = await run(args);
    expect(r.code, `${args.join(' ')}\n${r.stderr}${r.stdout}`).toBe(0);
    return r.stdout;
  };

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-cli-rollouts-'));
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
    t = await startTestApp({ db, env: { MODELGATE_ROLLOUT_TICK_MS: '100', MODELGATE_LEADER_POLL_MS: '100' } });
    const port = await freePort();
    await t.app.listen({ port, host: '127.0.0.1' });
    env = { PATH: process.env.PATH!, HOME: dir, MODELGATE_URL: `http://127.0.0.1:${port}`, MODELGATE_API_KEY: ADMIN_TOKEN };
    await createModel(t, 'loan');
    for (let v = 1; v <= 2; v++) await uploadOk(t, 'loan', { file: logisticBinaryClassifier({ weights: [1, 1], bias: 0, featureNames: ['a', 'b'] }) });
    await setAlias(t, 'loan', 'production', 1);
    await setAlias(t, 'loan', 'staging', 2);
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await db?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('starts a rollout of an alias, shows its steps as a table, pauses and aborts it', async () => {
    const started = await ok(['rollout', 'start', 'loan', 'staging', '--steps', '10,100', '--step-min-duration-s', '3600', '--no-auc', '--reason', 'from the cli']);
    const id = Number(started.match(/^rollout (\d+) of loan: pending, version 2 against 1$/m)?.[1]);
    expect(id).toBeGreaterThan(0);
    await eventually(async () => JSON.parse(await ok(['--json', 'rollout', 'status', 'loan'])).state === 'running', 10_000, 100);
    const status = (await ok(['rollout', 'status', 'loan', String(id)])).split('\n');
    expect(status[0]).toBe(`rollout ${id} of loan: running`);
    expect(status[1]).toBe('candidate version 2 (staging) against baseline version 1; 10% to the candidate');
    expect(status[3]).toMatch(/^STEP\s+WEIGHT\s+STATUS\s+STARTED\s+ENDED\s+WINDOWS\s+PASSED$/);
    expect(status[4]).toMatch(/^1\s+10%\s+running\s/);
    expect(status[5]).toMatch(/^2\s+100%\s+waiting\s/);
    expect((await ok(['rollout', 'pause', 'loan', String(id), '--reason', 'lunch'])).split('\n')[0]).toBe(`rollout ${id} of loan: paused (lunch)`);
    const aborted = JSON.parse(await ok(['--json', 'rollout', 'abort', 'loan', String(id), '--reason', 'changed my mind']));
    expect([aborted.state, aborted.state_reason]).toEqual(['aborted', 'changed my mind']);
    const again = await run(['rollout', 'resume', 'loan', String(id)]);
    expect([again.code, again.stderr]).toEqual([1, `ROLLOUT_NOT_ACTIVE: rollout ${id} of "loan" is aborted: it cannot resume\n`]);
  });
});
