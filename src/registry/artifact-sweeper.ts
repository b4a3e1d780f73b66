import fs from 'node:fs/promises';
import path from 'node:path';
import { Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, type EntityManager, In, LessThan } from 'typeorm';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { InjectLogger } from '../common/common.module.js';
import type { Logger } from '../common/logger.js';
import { ArtifactStore } from '../storage/artifact-store.js';
import { ArtifactGcEntity } from './entities/artifact-gc.entity.js';

const SWEEP_EVERY_MS = 5 * 60 * 1000;

/**
 * Keeps the store free of objects no committed row points to. An upload
 * registers its key here before the object is written and removes it in the
 * transaction that commits the version, so a crash at any point leaves a row
 * that the sweep turns into a delete.
 */
@Injectable()
export class ArtifactSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: ArtifactStore,
    @InjectConfig() private readonly config: AppConfig,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    void this.clearScratch();
    void this.sweep();
    this.timer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.timer.unref();
  }

  /**
   * An upload streams to a scratch file before it is stored; a process
   * killed mid-upload leaves that file behind. Nothing of this process
   * uploads yet at bootstrap, and the data directory belongs to one process
   * (its embedded PostgreSQL and model cache assume so too): clear it.
   */
  async clearScratch(): Promise<void> {
    const dir = this.config.registry.scratchDir;
    try {
      for (const name of await fs.readdir(dir)) await fs.rm(path.join(dir, name), { force: true, recursive: true });
    } catch (err) {
      if ((err as { code?: string }).code !== 'ENOENT') this.logger.warn({ dir, err: (err as Error).message }, 'could not clear the upload scratch directory');
    }
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  async markUpload(key: string): Promise<void> {
    await this.dataSource.getRepository(ArtifactGcEntity).insert({ key, reason: 'upload' });
  }

  /** Called inside the transaction that commits the version row. */
  async commitUpload(em: EntityManager, key: string): Promise<void> {
    await em.getRepository(ArtifactGcEntity).delete({ key });
  }

  /** Deletes objects now; whatever fails stays registered for the next sweep. */
  async deleteNow(keys: string[]): Promise<void> {
    const done: string[] = [];
    for (const key of keys) {
      try {
        await this.store.delete(key);
        done.push(key);
      } catch (err) {
        this.logger.warn({ key, err: (err as Error).message }, 'artifact delete failed; the sweep will retry');
      }
    }
    if (done.length) {
      await this.dataSource
        .getRepository(ArtifactGcEntity)
        .delete({ key: In(done) })
        .catch((err) => this.logger.warn({ err: (err as Error).message }, 'could not clear artifact_gc rows'));
    }
  }

  async sweep(): Promise<number> {
    try {
      const repo = this.dataSource.getRepository(ArtifactGcEntity);
      const orphanBefore = new Date(Date.now() - this.config.registry.uploadOrphanAfterMs);
      const rows = await repo.find({
        where: [{ reason: 'deleted' }, { reason: 'upload', createdAt: LessThan(orphanBefore) }],
        take: 1000,
      });
      if (rows.length) await this.deleteNow(rows.map((r) => r.key));
      return rows.length;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'artifact sweep failed; will retry');
      return 0;
    }
  }
}
