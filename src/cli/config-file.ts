import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError } from './cli-error.js';

/** Where `modelgate login` keeps the URL and key: `$XDG_CONFIG_HOME/modelgate/config.json` or `~/.config/modelgate/config.json`. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(base, 'modelgate', 'config.json');
}

export interface Credentials {
  url: string;
  apiKey: string;
}

/** Flags beat MODELGATE_URL / MODELGATE_API_KEY, which beat the config file. */
export function resolveCredentials(flags: { url?: string; apiKey?: string }, env: NodeJS.ProcessEnv = process.env): Credentials {
  let saved: Partial<{ url: string; api_key: string }> = {};
  const file = configPath(env);
  if (fs.existsSync(file)) {
    try {
      saved = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch {
      throw new CliError('BAD_CONFIG', `${file} is not valid JSON; run modelgate login again`);
    }
  }
  const url = flags.url ?? env.MODELGATE_URL ?? saved.url;
  const apiKey = flags.apiKey ?? env.MODELGATE_API_KEY ?? saved.api_key;
  if (!url || !apiKey) throw new CliError('NOT_CONFIGURED', 'no service URL or API key: run modelgate login --url URL --api-key KEY, or set MODELGATE_URL and MODELGATE_API_KEY');
  return { url: url.replace(/\/+$/, ''), apiKey };
}

/** Writes the config file readable by its owner only, since it holds a key. */
export function saveCredentials(c: Credentials, env: NodeJS.ProcessEnv = process.env): string {
  const file = configPath(env);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify({ url: c.url.replace(/\/+$/, ''), api_key: c.apiKey }, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, file);
  fs.chmodSync(file, 0o600);
  return file;
}
