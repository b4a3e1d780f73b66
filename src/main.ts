import { loadConfig, ConfigError } from './config/config.schema.js';
import { createApp } from './app.factory.js';
import { createLogger } from './common/logger.js';

let config;
try {
  config = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`modelgate: ${err.message}\n`);
    process.exit(78);
  }
  throw err;
}
const logger = createLogger(config.logLevel);
try {
  const app = await createApp(config, { logger });
  await app.listen({ port: config.port, host: config.host });
  logger.info({ port: config.port, host: config.host, data_dir: config.dataDir }, 'modelgate listening');
} catch (err) {
  logger.fatal({ err }, 'modelgate failed to start');
  process.exit(1);
}
