import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.schema.js';
import { workerConfig } from './worker-config.js';

const base = { DATABASE_URL: 'postgres://u@localhost/db', MODELGATE_ADMIN_TOKEN: 'x'.repeat(32) };

describe('a serving worker configuration', () => {
  it('gives each of N workers 1/N of every per-key and per-address budget', () => {
    const c = workerConfig(
      loadConfig({ ...base, MODELGATE_WORKERS: '4', MODELGATE_RATE_LIMIT_PREDICT_PER_S: '100', MODELGATE_RATE_LIMIT_PREDICT_BURST: '10', MODELGATE_RATE_LIMIT_WRITE_PER_S: '20' }),
    );
    expect(c.auth.rateLimits.predict).toEqual({ perSecond: 25, burst: 3 });
    expect(c.auth.rateLimits.registryWrite.perSecond).toBe(5);
    expect(c.auth.rateLimits.authFailures.perSecond).toBe(2.5);
  });

  it('keeps a budget that is off (0) off, and one process unchanged', () => {
    expect(workerConfig(loadConfig({ ...base, MODELGATE_WORKERS: '2' })).auth.rateLimits.predict.perSecond).toBe(0);
    const one = loadConfig(base);
    expect(workerConfig(one)).toBe(one);
  });

  it('refuses more than one worker on the embedded PostgreSQL', () => {
    expect(() => loadConfig({ MODELGATE_WORKERS: '2' })).toThrow(/MODELGATE_WORKERS.*DATABASE_URL/);
  });
});
