import cluster, { type Worker } from 'node:cluster';
import type { AppConfig } from '../config/config.schema.js';
import type { Logger } from '../common/logger.js';
import { COLLECT_TIMEOUT_MS, type ClusterMessage, isClusterMessage } from './cluster-messages.js';
import { aggregateWorkerMetrics, type WorkerMetrics } from './metrics-aggregation.js';

/** A worker that dies sooner than this after its start is failing to start, not crashing in service. */
const START_GRACE_MS = 120_000;

/**
 * The primary of `MODELGATE_WORKERS=N`: it forks N serving workers, which
 * share the HTTP and gRPC ports through node:cluster (each a whole
 * application with its own batchers, telemetry queue, NOTIFY listener and
 * election candidate, so exactly one process in the cluster runs the
 * elected jobs: the one holding the leader lock). The primary serves no
 * request itself: it combines the workers' registries for whichever worker
 * a scrape reached, replaces a worker that dies, and on SIGTERM drains them
 * all before it exits.
 */
export function runPrimary(config: AppConfig, logger: Logger): void {
  const log = logger.child({ component: 'cluster' });
  let stopping = false;
  let nextCollect = 0;
  const collecting = new Map<number, { pending: Set<number>; got: WorkerMetrics[]; done: () => void }>();
  const startedAt = new Map<number, number>();
  /** Workers listening now, and every worker that ever was. */
  const ready = new Set<number>();
  const everReady = new Set<number>();

  const fork = () => {
    const w = cluster.fork();
    startedAt.set(w.id, Date.now());
    w.on('message', (m: unknown) => onMessage(w, m));
    return w;
  };

  const send = (w: Worker, m: ClusterMessage) => {
    if (w.isConnected()) w.send(m);
  };

  /** Every connected worker's registry, combined; a worker that does not answer in time is left out. */
  const collect = () =>
    new Promise<string>((resolve, reject) => {
      const id = nextCollect++;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && w.isConnected() && ready.has(w.id));
      const entry = {
        pending: new Set(workers.map((w) => w.id)),
        got: [] as WorkerMetrics[],
        done: () => {
          clearTimeout(timer);
          collecting.delete(id);
          aggregateWorkerMetrics(entry.got).then(resolve, reject);
        },
      };
      const timer = setTimeout(() => {
        log.warn({ missing: [...entry.pending] }, 'workers did not send their metrics in time; scraped without them');
        entry.done();
      }, COLLECT_TIMEOUT_MS);
      collecting.set(id, entry);
      for (const w of workers) send(w, { type: 'modelgate:collect', id });
      if (entry.pending.size === 0) entry.done();
    });

  const onMessage = (w: Worker, m: unknown) => {
    if (!isClusterMessage(m)) return;
    if (m.type === 'modelgate:ready') {
      ready.add(w.id);
      everReady.add(w.id);
      if (ready.size === config.workers) log.info({ workers: config.workers, port: config.port }, 'every worker is listening');
    } else if (m.type === 'modelgate:scrape') {
      collect().then(
        (text) => send(w, { type: 'modelgate:scraped', id: m.id, text }),
        (err: Error) => send(w, { type: 'modelgate:scraped', id: m.id, error: err.message }),
      );
    } else if (m.type === 'modelgate:collected') {
      const entry = collecting.get(m.id);
      if (!entry || !entry.pending.delete(w.id)) return;
      if (m.metrics) entry.got.push(m.metrics);
      if (entry.pending.size === 0) entry.done();
    }
  };

  cluster.on('exit', (w, code, signal) => {
    ready.delete(w.id);
    for (const entry of collecting.values()) if (entry.pending.delete(w.id) && entry.pending.size === 0) entry.done();
    if (stopping) return;
    if (!everReady.has(w.id) && Date.now() - (startedAt.get(w.id) ?? 0) < START_GRACE_MS) {
      // A worker that cannot start will not start on a second try either (bad database, port taken).
      log.fatal({ worker: w.process.pid, code, signal }, 'a worker failed to start; stopping the cluster');
      void stop(1);
      return;
    }
    log.error({ worker: w.process.pid, code, signal }, 'a worker died; starting another');
    fork();
  });

  /** SIGTERM to every worker (each drains as a single process does), then exit: 0 when all drained in time. */
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w);
    log.info({ workers: workers.length }, 'draining every worker');
    const exits = workers.map(
      (w) =>
        new Promise<boolean>((resolve) => {
          if (w.isDead()) return resolve(true);
          // A worker ends by its own exit(0), or once drained by the re-raised SIGTERM main.ts turns into exit 143.
          w.once('exit', (c, s) => resolve(c === 0 || c === 143 || c === 130 || s === 'SIGTERM' || s === 'SIGINT'));
          w.process.kill('SIGTERM');
        }),
    );
    const timer = setTimeout(() => {
      log.error({ timeout_ms: config.shutdownTimeoutMs }, 'workers did not drain in time; killing them');
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
      process.exit(1);
    }, config.shutdownTimeoutMs + 2_000);
    timer.unref();
    const clean = (await Promise.all(exits)).every(Boolean);
    clearTimeout(timer);
    process.exit(code === 0 && clean ? 0 : 1);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop(0));

  log.info({ workers: config.workers }, 'starting serving workers');
  for (let i = 0; i < config.workers; i++) fork();
}
