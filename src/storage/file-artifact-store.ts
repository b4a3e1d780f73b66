import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { assertArtifactKey } from './artifact-key.js';
import { ArtifactStore } from './artifact-store.js';
import { ArtifactNotFound, ArtifactStoreUnavailable, InvalidArtifactKey } from './storage.errors.js';

/**
 * Artifacts as files under one directory (the embedded default). Every
 * write goes to a temporary file beside its target, is fsynced, then renamed
 * over it, so a reader (or a crash) never sees half an artifact.
 */
export class FileArtifactStore extends ArtifactStore {
  readonly location: string;
  private readonly root: string;

  constructor(root: string) {
    super();
    this.root = path.resolve(root);
    this.location = pathToFileURL(this.root).href;
  }

  /** Creates the root directory; the module calls it once at start. */
  async init(): Promise<void> {
    await this.guard('create the root directory', undefined, () => fs.mkdir(this.root, { recursive: true, mode: 0o700 }));
  }

  async putFile(key: string, filePath: string, _meta: { sha256: string; size: number }): Promise<void> {
    const target = this.pathOf(key);
    // A missing source is the caller's mistake, not the store's: let it surface as it is.
    await fs.access(filePath);
    await this.guard('store', key, async () => {
      await fs.mkdir(path.dirname(target), { recursive: true, mode: 0o700 });
      await copyAtomically(filePath, target);
    });
  }

  async openRead(key: string): Promise<{ body: Readable; size: number }> {
    const file = this.pathOf(key);
    return this.guard('read', key, async () => {
      const handle = await fs.open(file, 'r');
      try {
        const stat = await handle.stat();
        if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
        return { body: handle.createReadStream({ autoClose: true }), size: stat.size };
      } catch (err) {
        await handle.close();
        throw err;
      }
    });
  }

  async downloadTo(key: string, filePath: string): Promise<void> {
    const source = this.pathOf(key);
    await this.guard('read', key, async () => {
      const stat = await fs.stat(source);
      if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
    });
    try {
      await copyAtomically(source, filePath);
    } catch (err) {
      // The destination is the caller's disk: its errors are not the store's, unless the object vanished meanwhile.
      if (!(await this.exists(key))) throw new ArtifactNotFound(key);
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    await this.guard('delete', key, () => fs.rm(file, { force: true }));
  }

  async exists(key: string): Promise<boolean> {
    const file = this.pathOf(key);
    try {
      return (await fs.stat(file)).isFile();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw this.unavailable('look up', key, err);
    }
  }

  async ping(): Promise<void> {
    // A real write and read: `access()` says yes to root on a read-only mount.
    const probe = path.join(this.root, `.ping-${randomUUID()}`);
    await this.guard('write and read a probe file in', undefined, async () => {
      try {
        await fs.writeFile(probe, 'ok');
        if ((await fs.readFile(probe, 'utf8')) !== 'ok') throw new Error('the probe file read back differently');
      } finally {
        await fs.rm(probe, { force: true });
      }
    });
  }

  private pathOf(key: string): string {
    assertArtifactKey(key);
    const resolved = path.resolve(this.root, key);
    if (!resolved.startsWith(this.root + path.sep)) throw new InvalidArtifactKey(key, 'the key resolves outside the store');
    return resolved;
  }

  private async guard<T>(operation: string, key: string | undefined, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (key !== undefined && operation !== 'store' && (code === 'ENOENT' || code === 'ENOTDIR')) throw new ArtifactNotFound(key);
      throw this.unavailable(operation, key, err);
    }
  }

  private unavailable(operation: string, key: string | undefined, err: unknown): ArtifactStoreUnavailable {
    return new ArtifactStoreUnavailable(this.location, operation, (err as Error).message, key);
  }
}

/** Copies `from` to `to` through a fsynced temporary file in `to`'s directory and a rename. */
async function copyAtomically(from: string, to: string): Promise<void> {
  const dir = path.dirname(to);
  const tmp = path.join(dir, `.${path.basename(to)}.${randomUUID()}.tmp`);
  try {
    await fs.copyFile(from, tmp);
    // Models are the operator's property: readable by the service's user only.
    await fs.chmod(tmp, 0o600);
    // fsync flushes the file, whichever descriptor wrote it.
    const handle = await fs.open(tmp, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, to);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
  await syncDirectory(dir);
}

/** Makes a rename durable; some file systems refuse to fsync a directory, which is fine. */
async function syncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch {
    // best effort
  } finally {
    await handle?.close();
  }
}
