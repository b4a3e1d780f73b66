import fs from 'node:fs/promises';
import path from 'node:path';
import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectConfig } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { InjectLogger } from '../common/common.module.js';
import type { Logger } from '../common/logger.js';
import { generateApiKey } from './api-key-format.js';
import { ApiKeyStore } from './api-key.store.js';

export const BOOTSTRAP_ACTOR = 'bootstrap';

/**
 * The embedded default has no `MODELGATE_ADMIN_TOKEN`, so someone must get
 * a first key: at a start with no active admin key in the database, mint
 * one, write it to `<data dir>/admin.key` (0600) and print it once. A
 * restart while that key is valid does nothing.
 */
@Injectable()
export class AdminKeyBootstrap implements OnApplicationBootstrap {
  constructor(
    @InjectConfig() private readonly config: AppConfig,
    private readonly store: ApiKeyStore,
    @InjectLogger() private readonly logger: Logger,
  ) {}

  /** Whether stdout is a terminal; a seam so a test can ask for either answer. */
  tty: () => boolean = () => process.stdout.isTTY === true;

  async onApplicationBootstrap(): Promise<void> {
    if (this.config.auth.adminToken !== undefined) return;
    await this.ensureAdminKey();
  }

  /** The key it minted, or undefined when an active admin key already existed. */
  async ensureAdminKey(): Promise<string | undefined> {
    const file = this.config.auth.adminKeyFile;
    const minted = await this.store.withBootstrapLock(async (em) => {
      if (await this.store.hasActiveAdmin(em)) return undefined;
      const k = generateApiKey();
      // The file is written before the row commits: a crash in between leaves a
      // dead key in the file and no row, and the next start mints again.
      await writeSecretFile(file, `${k.key}\n`);
      await this.store.insert(
        { id: k.id, name: 'admin (generated at first start)', scopes: ['admin'], models: null, secretSha256: k.secretSha256, createdBy: BOOTSTRAP_ACTOR, expiresAt: null },
        em,
      );
      return k;
    });
    if (!minted) {
      if (!(await exists(file))) {
        this.logger.warn({ file }, 'an admin key exists but its file is gone; set MODELGATE_ADMIN_TOKEN to get admin access back');
      }
      return undefined;
    }
    this.logger.info({ key_id: minted.id, file }, 'generated the first admin API key');
    // Printed on purpose, once, and only to a person at a terminal: a
    // container's or CI's stdout is a log, which never carries keys.
    if (this.tty()) process.stdout.write(`Modelgate admin key (also in ${file}): ${minted.key}\n`);
    else process.stdout.write(`Modelgate admin key written to ${file} (mode 0600; stdout is not a terminal, so it is not printed)\n`);
    return minted.key;
  }
}

async function writeSecretFile(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.rm(tmp, { force: true });
  await fs.writeFile(tmp, content, { mode: 0o600, flag: 'wx' });
  await fs.chmod(tmp, 0o600);
  await fs.rename(tmp, file);
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
