import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { configPath, resolveCredentials, saveCredentials } from './config-file.js';

describe('CLI credentials', () => {
  const dirs: string[] = [];
  const home = () => {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), 'modelgate-cli-home-'));
    dirs.push(d);
    return { HOME: d } as NodeJS.ProcessEnv;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('saves URL and key under ~/.config/modelgate readable only by the owner, without a trailing slash', () => {
    const env = home();
    const file = saveCredentials({ url: 'http://mg:8080/', apiKey: 'mgk_a_b' }, env);
    expect(file).toBe(path.join(env.HOME!, '.config', 'modelgate', 'config.json'));
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(resolveCredentials({}, env)).toEqual({ url: 'http://mg:8080', apiKey: 'mgk_a_b' });
  });

  it('prefers flags over MODELGATE_URL and MODELGATE_API_KEY, and those over the saved file', () => {
    const env = home();
    saveCredentials({ url: 'http://saved', apiKey: 'saved-key' }, env);
    const withEnv = { ...env, MODELGATE_URL: 'http://env', MODELGATE_API_KEY: 'env-key' };
    expect(resolveCredentials({}, withEnv)).toEqual({ url: 'http://env', apiKey: 'env-key' });
    expect(resolveCredentials({ url: 'http://flag' }, withEnv)).toEqual({ url: 'http://flag', apiKey: 'env-key' });
    expect(resolveCredentials({}, { ...env, MODELGATE_API_KEY: 'env-key' })).toEqual({ url: 'http://saved', apiKey: 'env-key' });
  });

  it('says how to log in when nothing is configured, and honours XDG_CONFIG_HOME', () => {
    const env = home();
    expect(() => resolveCredentials({}, env)).toThrow(/modelgate login/);
    expect(configPath({ ...env, XDG_CONFIG_HOME: '/x' })).toBe('/x/modelgate/config.json');
  });
});
