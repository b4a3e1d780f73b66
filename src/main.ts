import cluster from 'node:cluster';
import { type AppConfig, loadConfig, ConfigError } from './config/config.schema.js';
import { createApp } from './app.factory.js';
import { createLogger } from './common/logger.js';
import { runPrimary } from './cluster/cluster-primary.js';
import { joinCluster } from './cluster/cluster-worker.js';
import { workerConfig } from './cluster/worker-config.js';
import { Metrics } from './metrics/metrics.js';

let loaded: AppConfig;
try {
  loaded = loadConfig();
} catch (err) {
  if (err instanceof ConfigError) {
    process.stderr.write(`modelgate: ${err.message}\n`);
    process.exit(78);
  }
  throw err;
}
const logger = createLogger(loaded.logLevel);
// MODELGATE_WORKERS=N: this process forks N serving workers (each runs this file again as a worker).
if (loaded.workers > 1 && cluster.isPrimary) runPrimary(loaded, logger);
else await serve(cluster.isWorker ? workerConfig(loaded) : loaded);

async function serve(config: AppConfig): Promise<void> {
  try {
    const app = await createApp(config, { logger });
    await app.listen({ port: config.port, host: config.host });
    if (cluster.isWorker) {
      const metrics = app.get(Metrics);
      metrics.renderWith(joinCluster(metrics.registry, logger));
    }
    logger.info({ port: config.port, host: config.host, data_dir: config.dataDir }, 'modelgate listening');
    // Nest's shutdown hooks drain on SIGTERM; a close that hangs must still end
    // before Kubernetes' SIGKILL, with a line saying why. Nest re-raises the
    // signal once closed; the second delivery lands here and exits as a shell
    // reports a clean signal stop (128 + its number) instead of dying by the
    // signal with no exit code. A second Ctrl-C does the same.
    const timeoutMs = config.shutdownTimeoutMs;
    let stopping = false;
    for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130]] as const) {
      process.on(signal, () => {
        if (stopping) process.exit(code);
        stopping = true;
        setTimeout(() => {
          logger.error({ timeout_ms: timeoutMs }, 'graceful shutdown timed out; exiting');
          process.exit(1);
        }, timeoutMs).unref();
      });
    }
  } catch (err) {
    // A setting found wrong only once the service looked (a bucket that does
    // not exist) exits as an invalid setting does, saying which and why.
    if (err instanceof ConfigError) {
      process.stderr.write(`modelgate: ${err.message}\n`);
      logger.fatal({ err }, 'modelgate failed to start: invalid configuration');
      process.exit(78);
    }
    logger.fatal({ err }, 'modelgate failed to start');
    process.exit(1);
  }
}
