import { loadConfig } from '../config/config.schema.js';
import { createLogger } from '../common/logger.js';
import { DatabaseConnection } from './database.connection.js';

/** `npm run migrate`: applies pending migrations and exits (the chart's migration job). */
const loaded = loadConfig();
// The job exists to migrate: MODELGATE_MIGRATE_ON_START=false in the shared ConfigMap must not stop it.
const config = { ...loaded, database: { ...loaded.database, migrateOnStart: true } };
const logger = createLogger(config.logLevel);
try {
  const connection = await DatabaseConnection.open(config, logger);
  await connection.close();
  logger.info('migrations up to date');
} catch (err) {
  logger.error({ err }, 'migration failed');
  process.exitCode = 1;
}
