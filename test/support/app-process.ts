import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import supertest from 'supertest';
import { freePort } from '../../src/common/net.js';
import { ADMIN_TOKEN, eventually } from './app.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(ROOT, 'dist', 'main.js');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : fs.statSync(p).mtimeMs);
  }
  return newest;
}

function isBuilt(): boolean {
  return fs.existsSync(MAIN) && fs.statSync(MAIN).mtimeMs >= newestMtime(path.join(ROOT, 'src'));
}

/**
 * Builds `dist/` when it is missing or older than `src/`, so the child
 * processes run the code under test. Suites in parallel workers may call it
 * at once: a lock directory makes one build while the others wait, so none
 * starts a child on half-written files.
 */
export async function ensureBuilt(): Promise<void> {
  if (isBuilt()) return;
  const lock = path.join(ROOT, '.build-lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      fs.mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`${lock} held for 5 minutes: remove it if no build runs`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    if (isBuilt()) return;
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.build.json')], { cwd: ROOT, stdio: 'inherit' });
    fs.utimesSync(MAIN, new Date(), new Date());
  } finally {
    fs.rmdirSync(lock);
  }
}

export interface AppProcess {
  name: string;
  url: string;
  http: ReturnType<typeof supertest>;
  admin: { Authorization: string };
  proc: ChildProcess;
  /** True once this process logged that it won the election (and not since lost it). */
  readonly leading: boolean;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The built service (`node dist/main.js`) as a child process of its own, so
 * a test can SIGKILL it for real: no shutdown hook runs and PostgreSQL sees
 * its connections drop.
 */
export async function spawnApp(name: string, env: Record<string, string>, opts: { dataDir?: string } = {}): Promise<AppProcess> {
  // A suite that needs the build builds it; it never skips because dist/ is missing.
  await ensureBuilt();
  // A data directory given by the caller outlives the process (a restart reuses it); our own is removed.
  const dataDir = opts.dataDir ?? (await fsp.mkdtemp(path.join(os.tmpdir(), `modelgate-${name}-`)));
  // A fresh port per spawn: after a kill, the old one may be another connection's ephemeral port.
  const port = await freePort();
  const proc = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', MODELGATE_ADMIN_TOKEN: ADMIN_TOKEN, MODELGATE_DATA_DIR: dataDir, LOG_LEVEL: 'info', GRPC_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let leading = false;
  let buffered = '';
  const logs: string[] = [];
  proc.stdout!.on('data', (c: Buffer) => {
    buffered += c.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      logs.push(line);
      if (line.includes('elected leader')) leading = true;
      if (line.includes('lost the leader connection')) leading = false;
      if (process.env.TEST_CHILD_LOGS) process.stderr.write(`[${name}] ${line}\n`);
    }
  });
  proc.stderr!.on('data', (c: Buffer) => logs.push(c.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  try {
    // A child that exits before it is ready fails at once, not after the whole wait.
    const died = exited.then(() => {
      throw new Error(`exited (${proc.exitCode ?? proc.signalCode})`);
    });
    await Promise.race([eventually(async () => (await fetch(`${url}/health/ready`)).status === 200, 60_000, 100), died]);
  } catch (err) {
    proc.kill('SIGKILL');
    throw new Error(`${name} did not become ready (${(err as Error).message}):\n${logs.slice(-20).join('\n')}`);
  }
  const cleanup = () => (opts.dataDir ? Promise.resolve() : fsp.rm(dataDir, { recursive: true, force: true }));
  return {
    name,
    url,
    http: supertest(url),
    admin: { Authorization: `Bearer ${ADMIN_TOKEN}` },
    proc,
    get leading() {
      return leading && proc.exitCode === null && proc.signalCode === null;
    },
    async kill9() {
      proc.kill('SIGKILL');
      await exited;
      await cleanup();
    },
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill('SIGTERM');
        await exited;
      }
      await cleanup();
    },
  };
}
