import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { ArtifactStore } from '../storage/artifact-store.js';

/**
 * Model files on local disk, named by their sha256. A file is trusted only
 * after its hash was checked in this process, so a file corrupted on disk
 * (or half-written by a crash) is fetched again instead of loaded.
 */
export class ArtifactCache {
  private readonly verified = new Set<string>();
  private readonly inflight = new Map<string, Promise<string>>();

  constructor(
    private readonly dir: string,
    private readonly store: ArtifactStore,
  ) {}

  /** The local path of a verified copy of the artifact, fetching it if needed. */
  ensure(key: string, sha256: string): Promise<string> {
    const pending = this.inflight.get(sha256);
    if (pending) return pending;
    const p = this.fetch(key, sha256).finally(() => this.inflight.delete(sha256));
    this.inflight.set(sha256, p);
    return p;
  }

  /** Forgets a file so the next `ensure` checks it again (e.g. it failed to load). */
  invalidate(sha256: string): void {
    this.verified.delete(sha256);
  }

  private async fetch(key: string, sha256: string): Promise<string> {
    const file = path.join(this.dir, `${sha256}.onnx`);
    if (this.verified.has(sha256)) return file;
    await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
    if ((await fileSha256(file)) === sha256) {
      this.verified.add(sha256);
      return file;
    }
    await fs.rm(file, { force: true });
    const tmp = `${file}.${process.pid}.${Date.now()}.part`;
    try {
      await this.store.downloadTo(key, tmp);
      const got = await fileSha256(tmp);
      if (got !== sha256) {
        throw new Error(`artifact ${key} has sha256 ${got} in the store, but the registry recorded ${sha256}`);
      }
      await fs.rename(tmp, file);
    } finally {
      await fs.rm(tmp, { force: true });
    }
    this.verified.add(sha256);
    return file;
  }
}

async function fileSha256(file: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    await pipeline(createReadStream(file), hash);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  return hash.digest('hex');
}
