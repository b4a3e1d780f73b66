import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Test } from '@nestjs/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigModule } from '../config/config.module.js';
import { loadConfig } from '../config/config.schema.js';
import { ArtifactStore } from './artifact-store.js';
import { FileArtifactStore } from './file-artifact-store.js';
import { S3ArtifactStore } from './s3-artifact-store.js';
import { StorageModule } from './storage.module.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await fs.rm(d, { recursive: true, force: true });
});

async function storeFor(env: Record<string, string>) {
  const config = loadConfig(env);
  const moduleRef = await Test.createTestingModule({ imports: [ConfigModule.forRoot(config), StorageModule] }).compile();
  await moduleRef.init();
  return { store: moduleRef.get(ArtifactStore), config, close: () => moduleRef.close() };
}

describe('StorageModule', () => {
  it('injects a file store under the data directory, created at start, when no bucket is configured', async () => {
    const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-storage-module-'));
    dirs.push(dataDir);
    const { store, config, close } = await storeFor({ MODELGATE_DATA_DIR: dataDir });
    expect(store).toBeInstanceOf(FileArtifactStore);
    expect((await fs.stat(path.join(dataDir, 'artifacts'))).isDirectory()).toBe(true);
    expect(config.storage.kind).toBe('file');
    await store.ping();
    await close();
  });

  it('injects an S3 store when S3_BUCKET is set', async () => {
    const { store, close } = await storeFor({
      S3_BUCKET: 'models-bucket',
      S3_ENDPOINT: 'http://127.0.0.1:9',
      S3_FORCE_PATH_STYLE: 'true',
      S3_PREFIX: 'prod',
    });
    expect(store).toBeInstanceOf(S3ArtifactStore);
    expect(store.location).toBe('s3://models-bucket/prod/');
    await close();
  });
});
