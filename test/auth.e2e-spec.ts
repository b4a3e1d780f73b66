import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Reflector } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import pino from 'pino';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createApp } from '../src/app.factory.js';
import { Admission } from '../src/auth/admission.js';
import { ApiKeyAuthenticator } from '../src/auth/api-key.authenticator.js';
import { ApiKeyStore } from '../src/auth/api-key.store.js';
import { ApiKeysService } from '../src/auth/api-keys.service.js';
import { KeyRevocationListener } from '../src/auth/key-revocations.listener.js';
import { ScopeGuard } from '../src/auth/scope.guard.js';
import type { Scope } from '../src/auth/scopes.js';
import { type AppConfig, loadConfig } from '../src/config/config.schema.js';
import { createLogger, type Logger } from '../src/common/logger.js';
import { ADMIN_TOKEN, eventually, startTestApp, type TestApp } from './support/app.js';
import { createTestDatabase, type TestDatabase, withClient } from './support/database.js';

interface CreatedKey {
  id: string;
  key: string;
  name: string;
  scopes: Scope[];
  created_at: string;
  expires_at: string | null;
}

type Http = ReturnType<typeof supertest>;

const bearer = (key: string) => ({ Authorization: `Bearer ${key}` });

async function createKey(http: Http, auth: Record<string, string>, scopes: Scope[], extra: Record<string, unknown> = {}): Promise<CreatedKey> {
  const res = await http.post('/api/v1/keys').set(auth).send({ name: `key for ${scopes.join(' ')}`, scopes, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** Boots the real app with a config startTestApp cannot express: no admin token, or a capturing logger. */
async function bootApp(db: TestDatabase, opts: { dataDir: string; adminToken: boolean; logger?: Logger }) {
  const validated = loadConfig({
    DATABASE_URL: db.url,
    MODELGATE_ADMIN_TOKEN: ADMIN_TOKEN,
    MODELGATE_DATA_DIR: opts.dataDir,
    LOG_LEVEL: 'warn',
    DATABASE_POOL_SIZE: '5',
    GRPC_PORT: '0',
  });
  // The embedded default has no admin token; loadConfig insists on one beside
  // DATABASE_URL (replicas), so the test drops it after validation.
  const config: AppConfig = opts.adminToken ? validated : { ...validated, auth: { ...validated.auth, adminToken: undefined } };
  const app: NestFastifyApplication = await createApp(config, { logger: opts.logger ?? createLogger('warn') });
  return { app, config, http: supertest(app.getHttpServer()) };
}

/** The backends LISTENing for key revocations on a database. */
async function keyListenerPids(db: TestDatabase): Promise<number[]> {
  return withClient(db.url, async (c) => {
    const r = await c.query(`SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%LISTEN "modelgate_keys"%' AND pid <> pg_backend_pid()`, [db.name]);
    return r.rows.map((row) => Number(row.pid));
  });
}

describe('API keys', () => {
  let db: TestDatabase;
  let a: TestApp;
  let b: TestApp;
  beforeAll(async () => {
    db = await createTestDatabase();
    // A long cache TTL, so only the NOTIFY can make the other instance refuse a revoked key in time.
    const env = { MODELGATE_KEY_CACHE_TTL_MS: '600000' };
    a = await startTestApp({ db, env });
    b = await startTestApp({ db, env });
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it('creates a key whose secret is shown once and stored only as a sha256', async () => {
    const res = await a.http.post('/api/v1/keys').set(a.admin).send({ name: 'ci deploys', scopes: ['registry:write'] }).expect(201);
    expect(Object.keys(res.body).sort()).toEqual(['created_at', 'expires_at', 'id', 'key', 'models', 'name', 'scopes']);
    expect(res.body).toMatchObject({ name: 'ci deploys', scopes: ['registry:write'], expires_at: null });
    expect(res.body.key).toMatch(new RegExp(`^mgk_${res.body.id}_[a-z2-7]{52}$`));
    expect(res.body.id).toMatch(/^[a-z2-7]{12}$/);
    const secret = res.body.key.slice(`mgk_${res.body.id}_`.length);
    const row = await withClient(db.url, async (c) => (await c.query('SELECT * FROM api_keys WHERE id = $1', [res.body.id])).rows[0]);
    expect(row.secret_sha256).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(secret);
    const shown = await a.http.get(`/api/v1/keys/${res.body.id}`).set(a.admin).expect(200);
    expect(JSON.stringify(shown.body)).not.toContain(secret);
    expect(shown.body.key).toBeUndefined();
  });

  it('lists keys without secrets, with when they were revoked and last used', async () => {
    const k = await createKey(a.http, a.admin, ['predict', 'feedback']);
    const res = await a.http.get('/api/v1/keys').set(a.admin).expect(200);
    const listed = res.body.keys.find((x: { id: string }) => x.id === k.id);
    expect(listed).toEqual({
      id: k.id,
      name: k.name,
      scopes: ['predict', 'feedback'],
      models: null,
      created_by: 'admin-token',
      created_at: k.created_at,
      expires_at: null,
      revoked_at: null,
      last_used_at: null,
    });
    expect(JSON.stringify(res.body)).not.toContain(k.key);
  });

  it('gets one key by id, and answers 404 KEY_NOT_FOUND for a key that does not exist', async () => {
    const k = await createKey(a.http, a.admin, ['monitor:read']);
    const got = await a.http.get(`/api/v1/keys/${k.id}`).set(a.admin).expect(200);
    expect(got.body).toMatchObject({ id: k.id, scopes: ['monitor:read'], revoked_at: null });
    for (const id of ['aaaaaaaaaaaa', 'not-a-key-id']) {
      const res = await a.http.get(`/api/v1/keys/${id}`).set(a.admin).expect(404);
      expect(res.body.error).toMatchObject({ code: 'KEY_NOT_FOUND', details: { key_id: id } });
    }
  });

  it('records who created a key: the admin token as admin-token, a key by its id', async () => {
    const admin = await createKey(a.http, a.admin, ['admin']);
    const child = await createKey(a.http, bearer(admin.key), ['predict']);
    const got = await a.http.get(`/api/v1/keys/${child.id}`).set(a.admin).expect(200);
    expect(got.body.created_by).toBe(admin.id);
    expect((await a.http.get(`/api/v1/keys/${admin.id}`).set(a.admin)).body.created_by).toBe('admin-token');
  });

  it('deduplicates the scopes it is given', async () => {
    const k = await createKey(a.http, a.admin, ['predict', 'predict']);
    expect(k.scopes).toEqual(['predict']);
  });

  it.each([
    ['a missing name', { scopes: ['admin'] }, 'name'],
    ['an empty name', { name: '  ', scopes: ['admin'] }, 'name'],
    ['missing scopes', { name: 'x' }, 'scopes'],
    ['no scopes at all', { name: 'x', scopes: [] }, 'scopes'],
    ['an unknown scope', { name: 'x', scopes: ['predict', 'root'] }, 'scopes.1'],
    ['an expiry that is not a time', { name: 'x', scopes: ['admin'], expires_at: 'tomorrow' }, 'expires_at'],
    ['an expiry in the past', { name: 'x', scopes: ['admin'], expires_at: '2001-01-01T00:00:00Z' }, 'expires_at'],
    ['an unknown field', { name: 'x', scopes: ['admin'], secret: 'mine' }, 'body'],
    ['a body that is not an object', ['admin'], 'body'],
  ])('refuses %s with 400 VALIDATION_FAILED naming the field', async (_what, body, field) => {
    const res = await a.http.post('/api/v1/keys').set(a.admin).send(body as object).expect(400);
    expect(res.body.error.code).toBe('VALIDATION_FAILED');
    expect(res.body.error.details.field).toBe(field);
    if (field === 'body' && !Array.isArray(body)) expect(res.body.error.message).toContain('secret');
  });

  it('accepts a key in Authorization: Bearer and in X-API-Key', async () => {
    const k = await createKey(a.http, a.admin, ['admin']);
    await a.http.get('/api/v1/keys').set('Authorization', `Bearer ${k.key}`).expect(200);
    await a.http.get('/api/v1/keys').set('X-API-Key', k.key).expect(200);
    await a.http.get('/api/v1/keys').set('X-API-Key', ADMIN_TOKEN).expect(200);
  });

  it('answers 401 UNAUTHENTICATED without a key, or with a malformed, unknown or forged one', async () => {
    const k = await createKey(a.http, a.admin, ['admin']);
    const forged = `mgk_${k.id}_${'a'.repeat(52)}`;
    const cases: [Record<string, string>, string][] = [
      [{}, 'missing API key'],
      [{ Authorization: 'Basic dXNlcjpwYXNz' }, 'malformed API key'],
      [bearer('mgk_nope'), 'malformed API key'],
      [bearer(`${ADMIN_TOKEN}x`), 'malformed API key'],
      [bearer(`mgk_aaaaaaaaaaaa_${'b'.repeat(52)}`), 'invalid API key'],
      [bearer(forged), 'invalid API key'],
      [{ 'X-API-Key': forged }, 'invalid API key'],
    ];
    for (const [headers, message] of cases) {
      const res = await a.http.get('/api/v1/keys').set(headers);
      expect(res.status, JSON.stringify(headers)).toBe(401);
      expect(res.body.error.code).toBe('UNAUTHENTICATED');
      expect(res.body.error.message).toContain(message);
      expect(res.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('answers 403 FORBIDDEN naming the scope a key lacks', async () => {
    const k = await createKey(a.http, a.admin, ['registry:write', 'monitor:read']);
    const res = await a.http.get('/api/v1/keys').set(bearer(k.key)).expect(403);
    expect(res.body.error).toMatchObject({ code: 'FORBIDDEN', details: { required_scope: 'admin' } });
    expect(res.body.error.message).toContain('"admin"');
    await a.http.post('/api/v1/keys').set(bearer(k.key)).send({ name: 'escalate', scopes: ['admin'] }).expect(403);
  });

  it('refuses a revoked key at once on the instance that revoked it, and within a second on another', async () => {
    const k = await createKey(a.http, a.admin, ['admin']);
    await a.http.get('/api/v1/keys').set(bearer(k.key)).expect(200);
    await b.http.get('/api/v1/keys').set(bearer(k.key)).expect(200);
    await a.http.delete(`/api/v1/keys/${k.id}`).set(a.admin).expect(204);
    const revokedAt = Date.now();
    const here = await a.http.get('/api/v1/keys').set(bearer(k.key)).expect(401);
    expect(here.body.error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'API key revoked' });
    const there = await eventually(async () => {
      const res = await b.http.get('/api/v1/keys').set(bearer(k.key));
      return res.status === 401 ? res : undefined;
    }, 1_000);
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    expect(there!.body.error.code).toBe('UNAUTHENTICATED');
    const listed = await a.http.get(`/api/v1/keys/${k.id}`).set(a.admin).expect(200);
    expect(Date.parse(listed.body.revoked_at)).toBeGreaterThan(0);
  });

  it('revokes a revoked key again without error, keeping the first revocation time', async () => {
    const k = await createKey(a.http, a.admin, ['predict']);
    await a.http.delete(`/api/v1/keys/${k.id}`).set(a.admin).expect(204);
    const first = (await a.http.get(`/api/v1/keys/${k.id}`).set(a.admin)).body.revoked_at;
    await b.http.delete(`/api/v1/keys/${k.id}`).set(b.admin).expect(204);
    expect((await a.http.get(`/api/v1/keys/${k.id}`).set(a.admin)).body.revoked_at).toBe(first);
  });

  it('answers 404 KEY_NOT_FOUND when revoking a key that does not exist', async () => {
    const res = await a.http.delete('/api/v1/keys/aaaaaaaaaaaa').set(a.admin).expect(404);
    expect(res.body.error.code).toBe('KEY_NOT_FOUND');
  });

  it('refuses a key once its expires_at has passed', async () => {
    const expiresAt = new Date(Date.now() + 1_500).toISOString();
    const k = await createKey(a.http, a.admin, ['admin'], { expires_at: expiresAt });
    expect(k.expires_at).toBe(expiresAt);
    await a.http.get('/api/v1/keys').set(bearer(k.key)).expect(200);
    const refused = await eventually(async () => {
      const res = await a.http.get('/api/v1/keys').set(bearer(k.key));
      return res.status === 401 ? res : undefined;
    }, 10_000);
    expect(refused!.body.error).toMatchObject({ code: 'UNAUTHENTICATED', message: 'API key expired' });
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expiresAt));
  });

  it('records when a key was last used, without making the request wait for it', async () => {
    const k = await createKey(a.http, a.admin, ['admin']);
    await a.http.get('/api/v1/keys').set(bearer(k.key)).expect(200);
    const used = await eventually(async () => (await a.http.get(`/api/v1/keys/${k.id}`).set(a.admin)).body.last_used_at, 5_000);
    expect(Date.parse(used)).toBeGreaterThan(Date.parse(k.created_at) - 1_000);
  });

  it('checks a cached key synchronously for the routes that bypass Nest', async () => {
    const auth = a.app.get(Admission);
    const k = await createKey(a.http, a.admin, ['predict']);
    const headers = { authorization: `Bearer ${k.key}` };
    const first = auth.admit(headers, 'predict', '127.0.0.1');
    expect(first).toBeInstanceOf(Promise);
    await first;
    expect(auth.admit(headers, 'predict', '127.0.0.1')).toEqual({ keyId: k.id, name: k.name, scopes: ['predict'] });
    expect(() => auth.admit(headers, 'registry:read', '127.0.0.1')).toThrow(expect.objectContaining({ code: 'FORBIDDEN' }));
    expect(() => auth.admit({}, 'predict', '127.0.0.1')).toThrow(expect.objectContaining({ code: 'UNAUTHENTICATED' }));
  });

  it('keeps evicting revoked keys after its LISTEN connection was cut', async () => {
    const before = await keyListenerPids(db);
    expect(before).toHaveLength(2);
    await withClient(db.url, (c) => c.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [before]));
    await eventually(async () => {
      const now = await keyListenerPids(db);
      return now.length === 2 && now.every((p) => !before.includes(p)) && b.app.get(KeyRevocationListener).isListening;
    }, 15_000);
    const k = await createKey(a.http, a.admin, ['admin']);
    await b.http.get('/api/v1/keys').set(bearer(k.key)).expect(200);
    await a.http.delete(`/api/v1/keys/${k.id}`).set(a.admin).expect(204);
    await eventually(async () => (await b.http.get('/api/v1/keys').set(bearer(k.key))).status === 401, 1_000);
  });

  it('injects its services by type, which needs emitted decorator metadata', async () => {
    expect(Reflect.getMetadata('design:paramtypes', ApiKeysService)).toEqual([ApiKeyStore, ApiKeyAuthenticator]);
    expect(Reflect.getMetadata('design:paramtypes', ScopeGuard)).toEqual([Reflector, Admission]);
    const service = a.app.get(ApiKeysService) as unknown as { store: unknown; authenticator: unknown };
    expect(service.store).toBeInstanceOf(ApiKeyStore);
    expect(service.authenticator).toBe(a.app.get(ApiKeyAuthenticator));
  });
});

describe('API keys in the logs', () => {
  let db: TestDatabase;
  let dataDir: string;
  const lines: string[] = [];
  let app: Awaited<ReturnType<typeof bootApp>>;
  beforeAll(async () => {
    db = await createTestDatabase();
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-auth-logs-'));
    // Everything the app logs, at the most verbose level and without redaction.
    const logger = pino({ level: 'trace' }, { write: (line: string) => void lines.push(line) });
    app = await bootApp(db, { dataDir, adminToken: true, logger });
  });
  afterAll(async () => {
    await app?.app.close();
    await db?.drop();
    await fs.rm(dataDir, { recursive: true, force: true });
  });

  it('never writes a key or the admin token into the logs', async () => {
    const created = await app.http.post('/api/v1/keys').set(bearer(ADMIN_TOKEN)).send({ name: 'logged?', scopes: ['admin'] }).expect(201);
    const key: string = created.body.key;
    const secret = key.slice(-52);
    await app.http.get('/api/v1/keys').set(bearer(key)).expect(200);
    await app.http.get('/api/v1/keys').set('X-API-Key', key).expect(200);
    const forged = `${key.slice(0, -10)}${key.at(-10) === 'a' ? 'b' : 'a'}${key.slice(-9)}`;
    await app.http.get('/api/v1/keys').set(bearer(forged)).expect(401);
    await app.http.delete(`/api/v1/keys/${created.body.id}`).set(bearer(key)).expect(204);
    await app.http.get('/api/v1/keys').set(bearer(key)).expect(401);
    expect(lines.length).toBeGreaterThan(5);
    const all = lines.join('\n');
    expect(all).not.toContain(secret);
    expect(all).not.toContain(ADMIN_TOKEN);
  });
});

describe('the first admin key on the embedded default (no MODELGATE_ADMIN_TOKEN)', () => {
  let db: TestDatabase;
  let root: string;
  let dataDir: string;
  let firstKey: string;
  beforeAll(async () => {
    db = await createTestDatabase();
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-auth-bootstrap-'));
    // Not created beforehand: the service must make it.
    dataDir = path.join(root, 'nested', 'data');
  });
  afterAll(async () => {
    await db?.drop();
    await fs.rm(root, { recursive: true, force: true });
  });

  /** Boots, stops, and returns what was printed to stdout meanwhile. */
  async function startOnce(check: (app: Awaited<ReturnType<typeof bootApp>>) => Promise<void>, tty = true): Promise<string> {
    const printed: string[] = [];
    const wasTty = process.stdout.isTTY;
    // The key is printed only to a terminal; vitest's stdout is a pipe.
    process.stdout.isTTY = tty;
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk));
      return true;
    });
    let app: Awaited<ReturnType<typeof bootApp>> | undefined;
    try {
      app = await bootApp(db, { dataDir, adminToken: false });
    } finally {
      spy.mockRestore();
      process.stdout.isTTY = wasTty;
    }
    try {
      await check(app);
    } finally {
      await app.app.close();
    }
    return printed.join('');
  }

  it('mints an admin key at first start, writes it to admin.key with mode 0600 and prints it once', async () => {
    const file = path.join(dataDir, 'admin.key');
    const printed = await startOnce(async (app) => {
      expect(app.config.auth.adminKeyFile).toBe(file);
      const stat = await fs.stat(file);
      expect(stat.mode & 0o777).toBe(0o600);
      firstKey = (await fs.readFile(file, 'utf8')).trim();
      expect(firstKey).toMatch(/^mgk_[a-z2-7]{12}_[a-z2-7]{52}$/);
      const res = await app.http.get('/api/v1/keys').set(bearer(firstKey)).expect(200);
      expect(res.body.keys).toEqual([expect.objectContaining({ scopes: ['admin'], created_by: 'bootstrap', revoked_at: null })]);
      // Without MODELGATE_ADMIN_TOKEN there is no token to accept.
      expect((await app.http.get('/api/v1/keys').set(bearer(ADMIN_TOKEN))).body.error.code).toBe('UNAUTHENTICATED');
    });
    const mentions = printed.split('\n').filter((l) => l.includes(firstKey));
    expect(mentions).toEqual([`Modelgate admin key (also in ${file}): ${firstKey}`]);
  });

  it('does not mint another key on a restart while the first is valid', async () => {
    const printed = await startOnce(async (app) => {
      expect((await fs.readFile(path.join(dataDir, 'admin.key'), 'utf8')).trim()).toBe(firstKey);
      const res = await app.http.get('/api/v1/keys').set(bearer(firstKey)).expect(200);
      expect(res.body.keys).toHaveLength(1);
    });
    expect(printed).not.toMatch(/mgk_/);
  });

  it('mints a new key at the next start once the first was revoked', async () => {
    await startOnce(async (app) => {
      const id = firstKey.slice(4, 16);
      await app.http.delete(`/api/v1/keys/${id}`).set(bearer(firstKey)).expect(204);
    });
    let second = '';
    const printed = await startOnce(async (app) => {
      second = (await fs.readFile(path.join(dataDir, 'admin.key'), 'utf8')).trim();
      expect(second).not.toBe(firstKey);
      await app.http.get('/api/v1/keys').set(bearer(second)).expect(200);
      await app.http.get('/api/v1/keys').set(bearer(firstKey)).expect(401);
    });
    expect(printed).toContain(`Modelgate admin key (also in ${path.join(dataDir, 'admin.key')}): ${second}\n`);
    firstKey = second;
  });

  it('prints only the key file, not the key, when stdout is not a terminal', async () => {
    await startOnce(async (app) => {
      await app.http.delete(`/api/v1/keys/${firstKey.slice(4, 16)}`).set(bearer(firstKey)).expect(204);
    });
    let third = '';
    const printed = await startOnce(async () => {
      third = (await fs.readFile(path.join(dataDir, 'admin.key'), 'utf8')).trim();
    }, false);
    expect(third).toMatch(/^mgk_/);
    expect(printed).not.toContain(third);
    expect(printed).not.toMatch(/mgk_/);
    expect(printed).toContain(`Modelgate admin key written to ${path.join(dataDir, 'admin.key')}`);
  });
});
