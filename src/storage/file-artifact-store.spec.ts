import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { behavesAsAnArtifactStore, randomFile, TRAVERSAL_KEYS } from '../../test/support/artifact-store-contract.js';
import { FileArtifactStore } from './file-artifact-store.js';
import { ArtifactStoreUnavailable } from './storage.errors.js';

let base: string;

behavesAsAnArtifactStore(
  'FileArtifactStore',
  async () => {
    base = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-file-store-'));
    const store = new FileArtifactStore(path.join(base, 'root'));
    await store.init();
    const scratch = path.join(base, 'scratch');
    await fs.mkdir(scratch);
    return { store, scratch };
  },
  async () => {
    await fs.rm(base, { recursive: true, force: true });
  },
);

describe('FileArtifactStore', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-file-store-'));
  });
  afterAll(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes nothing outside its root, whatever key it is given', async () => {
    const root = path.join(dir, 'deep', 'root');
    const store = new FileArtifactStore(root);
    await store.init();
    const src = await randomFile(dir, 10);
    for (const key of TRAVERSAL_KEYS) await store.putFile(key, src.file, src.meta).catch(() => undefined);
    expect((await fs.readdir(path.join(dir, 'deep'))).sort()).toEqual(['root']);
    expect(await fs.readdir(root)).toEqual([]);
  });

  it('stores objects as plain files under the key path, leaving no temporary files', async () => {
    const root = path.join(dir, 'layout');
    const store = new FileArtifactStore(root);
    await store.init();
    const src = await randomFile(dir, 100);
    await store.putFile('models/credit/a.onnx', src.file, src.meta);
    expect(await fs.readdir(path.join(root, 'models', 'credit'))).toEqual(['a.onnx']);
    expect(store.location).toBe(`file://${root}`);
  });

  it('fails a ping with ArtifactStoreUnavailable (503) when its root is not a usable directory', async () => {
    const root = path.join(dir, 'not-a-dir');
    await fs.writeFile(root, 'a file where the root should be');
    const store = new FileArtifactStore(root);
    const err = await store.ping().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactStoreUnavailable);
    expect((err as ArtifactStoreUnavailable).kind).toBe('unavailable');
    expect((err as ArtifactStoreUnavailable).code).toBe('ARTIFACT_STORE_UNAVAILABLE');
  });

  it('surfaces a missing source file as the caller error it is, storing nothing', async () => {
    const store = new FileArtifactStore(path.join(dir, 'nosource'));
    await store.init();
    await expect(store.putFile('models/x.onnx', path.join(dir, 'does-not-exist'), { sha256: '0', size: 0 })).rejects.toMatchObject({
      code: 'ENOENT',
    });
    expect(await store.exists('models/x.onnx')).toBe(false);
  });
});
