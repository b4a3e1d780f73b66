import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, envSchema, loadConfig } from './config.schema.js';

const README = fs.readFileSync(path.join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

describe('configuration', () => {
  it('applies the documented defaults with no environment at all', () => {
    const c = loadConfig({});
    expect(c.port).toBe(8080);
    expect(c.host).toBe('0.0.0.0');
    expect(c.database.url).toBeUndefined();
    expect(c.storage.kind).toBe('file');
    expect(c.serving.batchMaxSize).toBe(64);
    expect(c.database.migrateOnStart).toBe(true);
    expect(c.shutdownTimeoutMs).toBe(10_000);
  });

  it('stops on a bad value with a message naming the variable', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => loadConfig({ S3_FORCE_PATH_STYLE: 'maybe' })).toThrow(/S3_FORCE_PATH_STYLE/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL/);
    expect(() => loadConfig({ MODELGATE_INPUT_SAMPLE_RATE: '2' })).toThrow(/MODELGATE_INPUT_SAMPLE_RATE/);
  });

  it('requires an admin token beside a shared database', () => {
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@h/db' })).toThrow(/MODELGATE_ADMIN_TOKEN/);
    expect(() => loadConfig({ DATABASE_URL: 'postgres://u@h/db', MODELGATE_ADMIN_TOKEN: 'short' })).toThrow(/at least 32/);
    expect(loadConfig({ DATABASE_URL: 'postgres://u@h/db', MODELGATE_ADMIN_TOKEN: 'x'.repeat(32) }).database.url).toBe('postgres://u@h/db');
  });

  it('switches artifacts to S3 when a bucket is set', () => {
    const c = loadConfig({ S3_BUCKET: 'models', S3_ENDPOINT: 'http://127.0.0.1:9000', S3_FORCE_PATH_STYLE: 'true' });
    expect(c.storage).toMatchObject({ kind: 's3', bucket: 'models', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true });
  });

  it('lists every variable with its default in the README configuration table', () => {
    const rows = new Map(
      README.split('\n')
        .filter((l) => l.startsWith('| `'))
        .map((l) => l.split('|').map((c) => c.trim()))
        .map((cells) => [cells[1].replace(/`/g, ''), cells[2]]),
    );
    for (const name of CONFIG_VARIABLES) {
      expect(rows.has(name), `README lacks ${name}`).toBe(true);
      const def = (envSchema.shape as Record<string, any>)[name].def?.defaultValue;
      if (def !== undefined && def !== '') expect(rows.get(name), name).toBe(`\`${String(def)}\``);
    }
  });

  it('reads the deprecated MODELGATE_MAX_BATCH_ROWS as the request row cap, with a warning, and lets the new name win', () => {
    expect(loadConfig({}).limits.maxRequestRows).toBe(10_000);
    expect(loadConfig({}).deprecations).toEqual([]);
    const old = loadConfig({ MODELGATE_MAX_BATCH_ROWS: '50' });
    expect(old.limits.maxRequestRows).toBe(50);
    expect(old.deprecations).toEqual([expect.stringMatching(/MODELGATE_MAX_BATCH_ROWS is deprecated.*MODELGATE_MAX_REQUEST_ROWS/)]);
    const both = loadConfig({ MODELGATE_MAX_BATCH_ROWS: '50', MODELGATE_MAX_REQUEST_ROWS: '70' });
    expect(both.limits.maxRequestRows).toBe(70);
    expect(both.deprecations[0]).toMatch(/wins/);
    expect(loadConfig({ MODELGATE_MAX_REQUEST_ROWS: '70' }).deprecations).toEqual([]);
  });
});
