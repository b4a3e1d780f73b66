import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../src/app.factory.js';
import { loadConfig } from '../src/config/config.schema.js';
import { eventually } from './support/app.js';
import { fixtureBytes } from './support/registry.js';

/**
 * The newcomer's path: no DATABASE_URL, no S3 bucket. The service runs its
 * own PostgreSQL and keeps artifacts in a directory, both under one data
 * directory, and everything survives a restart.
 */
describe('embedded default', () => {
  let dir: string;
  let app: NestFastifyApplication | undefined;

  const start = async () => {
    const config = loadConfig({ MODELGATE_DATA_DIR: dir, LOG_LEVEL: 'warn', GRPC_PORT: '0' });
    app = await createApp(config);
    const http = supertest(app.getHttpServer());
    await eventually(async () => (await http.get('/health/ready')).status === 200, 60_000);
    return http;
  };

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-embedded-'));
    await fs.chmod(dir, 0o755);
  });
  afterAll(async () => {
    await app?.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('starts on its own PostgreSQL, writes an admin key, and keeps models, versions and aliases across a restart', async () => {
    let http = await start();
    const keyFile = path.join(dir, 'admin.key');
    const stat = await fs.stat(keyFile);
    expect(stat.mode & 0o777).toBe(0o600);
    const key = (await fs.readFile(keyFile, 'utf8')).trim();
    expect(key).toMatch(/^mgk_[a-z2-7]+_[A-Za-z0-9_-]+$/);
    const auth = { Authorization: `Bearer ${key}` };

    await http.post('/api/v1/models').set(auth).send({ name: 'bc', task: 'binary_classification' }).expect(201);
    const up = await http.post('/api/v1/models/bc/versions').set(auth).attach('file', fixtureBytes('breast_cancer_xgb.onnx'), 'model.onnx');
    expect(up.status, JSON.stringify(up.body)).toBe(201);
    await http.put('/api/v1/models/bc/aliases/production').set(auth).send({ version: 1 }).expect(200);
    const files = await fs.readdir(path.join(dir, 'artifacts', 'models', 'bc'));
    expect(files).toHaveLength(1);
    const row = Object.fromEntries(up.body.feature_names.map((f: string) => [f, 1]));
    await http.post('/v1/models/bc/predict').set(auth).send({ instances: [row] }).expect(200);

    await app!.close();
    app = undefined;
    http = await start();
    expect((await fs.readFile(keyFile, 'utf8')).trim()).toBe(key);
    const m = await http.get('/api/v1/models/bc').set(auth).expect(200);
    expect(m.body).toMatchObject({ latest_version: 1, aliases: { production: 1 } });
    const pred = await http.post('/v1/models/bc/predict').set(auth).send({ instances: [row] }).expect(200);
    expect(pred.body.version).toBe(1);
    const artifact = await http.get('/api/v1/models/bc/versions/1/artifact').set(auth).expect(200);
    expect(artifact.headers['x-artifact-sha256']).toBe(up.body.artifact.sha256);
  });
});
