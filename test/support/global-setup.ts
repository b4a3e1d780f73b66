import fs from 'node:fs/promises';
import net from 'node:net';
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
  const heldPorts = await holdServiceDefaultPorts();
  const runTmp = await useRunScopedTmpdir();
  const given = process.env.TEST_DATABASE_URL;
  if (given) {
    project.provide('postgresAdminUrl', given);
    return async () => {
      await closeAll(heldPorts);
      await fs.rm(runTmp, { recursive: true, force: true });
    };
  }
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-test-pg-'));
  // As root, the server runs as the `postgres` user, which must reach the cluster.
  await fs.chmod(dir, 0o755);
  const pg = await startEmbeddedPostgres(path.join(dir, 'cluster'), 'postgres');
  project.provide('postgresAdminUrl', pg.url);
  return async () => {
    await closeAll(heldPorts);
    await pg.stop();
    await fs.rm(runTmp, { recursive: true, force: true });
  };
}

/**
 * A user runs `npm start` (ports 8080 and 8081) beside the tests, so no test
 * may bind the service's default ports: holding them for the whole run makes
 * a test that does fail here too, not only on a machine where the service
 * happens to run. A port already taken (by that very service) is left alone.
 */
const SERVICE_DEFAULT_PORTS = [8080, 8081];

async function holdServiceDefaultPorts(): Promise<net.Server[]> {
  const held: net.Server[] = [];
  for (const port of SERVICE_DEFAULT_PORTS) {
    const server = net.createServer((socket) => socket.destroy());
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen({ port, host: '0.0.0.0', exclusive: true }, () => resolve(true));
    });
    if (ok) {
      server.unref();
      held.push(server);
    }
  }
  return held;
}

async function closeAll(servers: net.Server[]): Promise<void> {
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
}

/**
 * Every temporary file of the run (s3rver directories, generated models, data
 * directories of spawned services) goes under one directory that teardown
 * removes: helpers cannot all know when the last user of their folder is
 * done, and a run must not leave folders behind. Test workers and the
 * processes they spawn inherit TMPDIR.
 */
async function useRunScopedTmpdir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'modelgate-test-run-'));
  // As root, embedded PostgreSQL runs as `postgres`, which must reach its cluster below here.
  await fs.chmod(dir, 0o755);
  process.env.TMPDIR = dir;
  return dir;
}
