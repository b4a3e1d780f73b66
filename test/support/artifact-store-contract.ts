import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArtifactStore } from '../../src/storage/artifact-store.js';
import { ArtifactNotFound, InvalidArtifactKey } from '../../src/storage/storage.errors.js';

export const TRAVERSAL_KEYS = ['../escape.onnx', 'models/../../escape.onnx', '/tmp/escape.onnx', 'models/./x.onnx', 'models\\..\\x', ''];

export interface ContractContext {
  store: ArtifactStore;
  /** Where files for this suite may be written. */
  scratch: string;
}

export async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of body) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Writes `size` random bytes to a new file in `dir`. */
export async function randomFile(dir: string, size: number): Promise<{ file: string; bytes: Buffer; meta: { sha256: string; size: number } }> {
  const bytes = randomBytes(size);
  const file = path.join(dir, `src-${randomBytes(4).toString('hex')}.bin`);
  await fs.writeFile(file, bytes);
  return { file, bytes, meta: { sha256: sha256(bytes), size } };
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  throw new Error('expected the call to fail');
}

/**
 * The behaviour every ArtifactStore must have, run against each
 * implementation by its own spec file.
 */
export function behavesAsAnArtifactStore(name: string, open: () => Promise<ContractContext>, close: () => Promise<void>) {
  describe(`${name} as an ArtifactStore`, () => {
    let store: ArtifactStore;
    let scratch: string;

    beforeAll(async () => {
      ({ store, scratch } = await open());
    });
    afterAll(close);

    const key = (label: string) => `models/contract/${label}-${randomBytes(4).toString('hex')}.onnx`;

    it('round-trips a multi-MiB file byte for byte through openRead and downloadTo', async () => {
      const src = await randomFile(scratch, 6 * 1024 * 1024 + 123);
      const k = key('roundtrip');
      await store.putFile(k, src.file, src.meta);

      const { body, size } = await store.openRead(k);
      expect(size).toBe(src.bytes.length);
      expect(sha256(await readAll(body))).toBe(src.meta.sha256);

      const out = path.join(scratch, 'roundtrip.out');
      await store.downloadTo(k, out);
      expect(sha256(await fs.readFile(out))).toBe(src.meta.sha256);
    });

    it('replaces an object stored again under the same key', async () => {
      const k = key('replace');
      const first = await randomFile(scratch, 1000);
      const second = await randomFile(scratch, 2000);
      await store.putFile(k, first.file, first.meta);
      await store.putFile(k, second.file, second.meta);
      const { body, size } = await store.openRead(k);
      expect(size).toBe(2000);
      expect((await readAll(body)).equals(second.bytes)).toBe(true);
    });

    it('never shows a partly downloaded file at the destination', async () => {
      const src = await randomFile(scratch, 8 * 1024 * 1024);
      const k = key('atomic');
      await store.putFile(k, src.file, src.meta);
      const dest = path.join(scratch, 'atomic.out');
      await fs.writeFile(dest, 'an older copy');

      const sizesSeen = new Set<number>();
      let done = false;
      const download = store.downloadTo(k, dest).finally(() => {
        done = true;
      });
      while (!done) {
        const st = await fs.stat(dest).catch(() => undefined);
        if (st) sizesSeen.add(st.size);
        await new Promise((r) => setImmediate(r));
      }
      await download;
      expect([...sizesSeen].every((s) => s === 'an older copy'.length || s === src.bytes.length)).toBe(true);
      expect(sha256(await fs.readFile(dest))).toBe(src.meta.sha256);
      const leftovers = (await fs.readdir(scratch)).filter((f) => f.startsWith('.atomic.out'));
      expect(leftovers).toEqual([]);
    });

    it('leaves no file behind when downloading a missing object', async () => {
      const dest = path.join(scratch, 'missing.out');
      const err = await rejection(store.downloadTo(key('missing'), dest));
      expect(err).toBeInstanceOf(ArtifactNotFound);
      expect((await fs.readdir(scratch)).filter((f) => f.includes('missing.out'))).toEqual([]);
    });

    it('answers ArtifactNotFound (404, ARTIFACT_NOT_FOUND) for a missing object', async () => {
      const err = (await rejection(store.openRead(key('absent')))) as ArtifactNotFound;
      expect(err).toBeInstanceOf(ArtifactNotFound);
      expect(err.kind).toBe('not_found');
      expect(err.code).toBe('ARTIFACT_NOT_FOUND');
    });

    it('tells whether an object exists', async () => {
      const k = key('exists');
      expect(await store.exists(k)).toBe(false);
      const src = await randomFile(scratch, 10);
      await store.putFile(k, src.file, src.meta);
      expect(await store.exists(k)).toBe(true);
      // A "directory" above stored objects is not an object.
      expect(await store.exists('models/contract')).toBe(false);
    });

    it('deletes idempotently: deleting twice, or something never stored, is not an error', async () => {
      const k = key('delete');
      const src = await randomFile(scratch, 10);
      await store.putFile(k, src.file, src.meta);
      await store.delete(k);
      expect(await store.exists(k)).toBe(false);
      await store.delete(k);
      await store.delete(key('never-stored'));
    });

    it('answers a ping', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it.each(TRAVERSAL_KEYS)('refuses the key %j in every operation', async (bad) => {
      const src = await randomFile(scratch, 10);
      const calls: Promise<unknown>[] = [
        store.putFile(bad, src.file, src.meta),
        store.openRead(bad),
        store.downloadTo(bad, path.join(scratch, 'traversal.out')),
        store.delete(bad),
        store.exists(bad),
      ];
      for (const call of calls) expect(await rejection(call)).toBeInstanceOf(InvalidArtifactKey);
    });
  });
}
