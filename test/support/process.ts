import { type ChildProcess, spawn } from 'node:child_process';
import { eventually } from './app.js';

export interface RunningProcess {
  child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal` and resolves with the exit code once it has exited. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number | null>;
}

/** Spawns a long-running command and collects its output. */
export function startProcess(command: string, args: string[], opts: { cwd: string; env: Record<string, string | undefined> }): RunningProcess {
  const child = spawn(command, args, { cwd: opts.cwd, env: opts.env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    async stop(signal = 'SIGTERM', timeoutMs = 30_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** Polls `url` until it answers 200, failing early if the process exits. */
export async function waitFor200(p: RunningProcess, url: string, timeoutMs = 90_000): Promise<void> {
  await eventually(async () => {
    if (p.child.exitCode !== null) throw new Error(`exited with ${p.child.exitCode} before ${url} answered:\n${p.output()}`);
    const res = await fetch(url).catch(() => undefined);
    return res?.status === 200;
  }, timeoutMs, 200);
}
