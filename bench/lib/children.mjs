// Every child process the bench starts: stopped on exit, on errors and on Ctrl-C.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { ROOT } from './settings.mjs';
import { log, sleep } from './log.mjs';

const children = new Set();
const cleanupHooks = [];
let cleaningUp = null;
export const state = { interrupted: false };

export function spawnChild(name, cmd, args, { env: childEnv, cwd = ROOT, logFile } = {}) {
  const child = spawn(cmd, args, { cwd, env: childEnv ?? process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const rec = { name, child, pid: child.pid, lines: [], out: '', exited: false, code: null, signal: null, logStream: null };
  if (logFile) rec.logStream = fs.createWriteStream(logFile);
  const take = (chunk) => {
    const s = chunk.toString();
    rec.out += s;
    if (rec.out.length > 4_000_000) rec.out = rec.out.slice(-2_000_000);
    rec.logStream?.write(chunk);
  };
  child.stdout.on('data', take);
  child.stderr.on('data', take);
  rec.done = new Promise((resolve) => {
    child.on('exit', (code, signal) => {
      rec.exited = true;
      rec.code = code;
      rec.signal = signal;
      children.delete(rec);
      resolve();
    });
    child.on('error', (err) => {
      rec.out += `\nspawn error: ${err.message}\n`;
      rec.exited = true;
      children.delete(rec);
      resolve();
    });
  });
  children.add(rec);
  return rec;
}

export function tail(rec, lines = 40) {
  const t = rec.out.trimEnd().split('\n').slice(-lines).join('\n');
  return t === '' ? '(it printed nothing)' : t;
}

function killGroup(rec, signal) {
  try {
    process.kill(-rec.pid, signal);
  } catch {
    try {
      process.kill(rec.pid, signal);
    } catch {
      /* gone */
    }
  }
}

/** SIGTERM the process (Modelgate stops its embedded PostgreSQL), then SIGKILL its group. */
export async function stopChild(rec, graceMs = 15_000) {
  if (!rec) return;
  if (!rec.exited) {
    try {
      process.kill(rec.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
    await Promise.race([rec.done, sleep(graceMs)]);
  }
  // Anything left in its process group (a postgres it did not stop) goes too.
  killGroup(rec, 'SIGKILL');
  if (!rec.exited) await Promise.race([rec.done, sleep(2000)]);
  rec.logStream?.end();
}

/** Runs at cleanup, last registered first. */
export const onCleanup = (fn) => cleanupHooks.push(fn);

export async function cleanup() {
  if (cleaningUp) return cleaningUp;
  cleaningUp = (async () => {
    await Promise.all([...children].map((c) => stopChild(c, 10_000)));
    for (const fn of cleanupHooks.reverse()) {
      try {
        await fn();
      } catch (err) {
        log(`cleanup: ${err.message}`);
      }
    }
  })();
  return cleaningUp;
}

process.on('exit', () => {
  for (const c of children) killGroup(c, 'SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    state.interrupted = true;
    log(`${sig}: stopping every child process`);
    cleanup().finally(() => process.exit(130));
    setTimeout(() => process.exit(130), 20_000).unref();
  });
}
