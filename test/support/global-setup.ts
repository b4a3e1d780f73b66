import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.runner.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A PostgreSQL URL whose user may create and drop databases. */
    postgresAdminUrl: string;
  }
}

/**
 * CI sets TEST_DATABASE_URL to the machine's PostgreSQL; a fresh machine
 * without it gets one embedded-postgres server for the whole run.
 */
export default async function setup(project: TestProject) {
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    project.provide('postgresAdminUrl', given);
    return;
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-test-pg-'));
  // As root, the server runs as the `postgres` user, which must reach the cluster.
  await fs.chmod(dir, 0o755);
  const pg = await startEmbeddedPostgres(path.join(dir, 'cluster'), 'postgres');
  project.provide('postgresAdminUrl', pg.url);
  return async () => {
    await pg.stop();
    await fs.rm(dir, { recursive: true, force: true });
  };
}
