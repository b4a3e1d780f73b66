import type { Command } from 'commander';
import { ApiClient } from './client.js';
import { resolveCredentials } from './config-file.js';

/** What every command needs: the client and how to print. */
export interface Ctx {
  api: ApiClient;
  /** `--json` prints `data` as JSON; otherwise `human(data)` as text. */
  out<T>(data: T, human: (d: T) => string): void;
}

export interface GlobalOptions {
  url?: string;
  apiKey?: string;
  json?: boolean;
}

export function contextOf(cmd: Command): Ctx {
  const o = cmd.optsWithGlobals<GlobalOptions>();
  const api = new ApiClient(resolveCredentials({ url: o.url, apiKey: o.apiKey }));
  return {
    api,
    out(data, human) {
      process.stdout.write(`${o.json ? JSON.stringify(data, null, 2) : human(data)}\n`);
    },
  };
}

/** Wraps an action so it receives the context first. */
export function action<A extends unknown[]>(fn: (ctx: Ctx, ...args: A) => Promise<void>) {
  return async function (this: Command, ...args: unknown[]) {
    const cmd = args[args.length - 1] as Command;
    await fn(contextOf(cmd), ...(args.slice(0, -1) as A));
  };
}
