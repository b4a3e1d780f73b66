import { DataSource } from 'typeorm';
import type { AppConfig } from '../config/config.schema.js';
import type { Logger } from '../common/logger.js';
import { type EmbeddedPostgresHandle, startEmbeddedPostgres } from './embedded-postgres.runner.js';
import { ENTITIES, MIGRATIONS } from './schema.js';

/**
 * The database this process talks to: the configured `DATABASE_URL`, or an
 * embedded PostgreSQL under the data directory. Migrations run on open
 * unless `MODELGATE_MIGRATE_ON_START=false` (a deployment's migration job runs them).
 */
export class DatabaseConnection {
  private constructor(
    readonly dataSource: DataSource,
    readonly url: string,
    private readonly embedded?: EmbeddedPostgresHandle,
  ) {}

  static async open(config: AppConfig, logger: Logger): Promise<DatabaseConnection> {
    let url = config.database.url;
    let embedded: EmbeddedPostgresHandle | undefined;
    if (!url) {
      const log = logger.child({ component: 'embedded-postgres' });
      embedded = await startEmbeddedPostgres(config.database.embeddedDir, 'modelgate', (m) => log.debug(m));
      url = embedded.url;
      logger.info({ dir: config.database.embeddedDir }, 'embedded PostgreSQL started');
    }
    const dataSource = createDataSource(url, config.database.poolSize);
    try {
      await initializeWithRetry(dataSource, logger);
      if (config.database.migrateOnStart) await migrate(dataSource, logger);
      else if (await dataSource.showMigrations()) logger.warn('pending migrations are not applied (MODELGATE_MIGRATE_ON_START=false): run the migration job');
    } catch (err) {
      if (dataSource.isInitialized) await dataSource.destroy().catch(() => {});
      await embedded?.stop().catch(() => {});
      throw err;
    }
    return new DatabaseConnection(dataSource, url, embedded);
  }

  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
    await this.embedded?.stop();
  }
}

export function createDataSource(url: string, poolSize = 10): DataSource {
  return new DataSource({
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTableName: 'migrations',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    // A query that waits on a dead server must fail, not hang the caller.
    extra: { max: poolSize, connectionTimeoutMillis: 5_000, query_timeout: 30_000 },
  });
}

// Replicas start together: one runs the migrations, the others wait on
// this session-level lock and then find nothing left to do.
const MIGRATION_LOCK = 0x6d67_6d69; // "mgmi"

async function migrate(ds: DataSource, logger: Logger): Promise<void> {
  const lock = ds.createQueryRunner();
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await ds.runMigrations({ transaction: 'each' });
    if (applied.length) logger.info({ migrations: applied.map((m) => m.name) }, 'migrations applied');
  } finally {
    await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    await lock.release();
  }
}

async function initializeWithRetry(ds: DataSource, logger: Logger, attempts = 30): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await ds.initialize();
      return;
    } catch (err) {
      if (i >= attempts) throw err;
      logger.warn({ attempt: i, err: (err as Error).message }, 'database not reachable yet; retrying');
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
}
