import { loadConfig } from '../config/config.schema.js';
import { createLogger } from '../common/logger.js';
import { DatabaseConnection } from './database.connection.js';

/** `npm run migrate`: applies pending migrations and exits (the chart's migration job). */
const config = loadConfig();
const logger = createLogger(config.logLevel);
try {
  const connection = await DatabaseConnection.open(config, logger);
  await connection.close();
  logger.info('migrations up to date');
} catch (err) {
  logger.error({ err }, 'migration failed');
  process.exitCode = 1;
}
