import type { Registry } from 'prom-client';
import type { Logger } from '../common/logger.js';
import { COLLECT_TIMEOUT_MS, type ClusterMessage, isClusterMessage } from './cluster-messages.js';

const send = (m: ClusterMessage) => process.send?.(m);

/**
 * The serving worker's side of the cluster: it answers the primary's
 * requests for its registry, asks the primary for the combined `/metrics`
 * when a scrape reaches it, and shuts down (draining, as on SIGTERM) if the
 * primary goes away. Returns the scrape function for the metrics route.
 */
export function joinCluster(registry: Registry, logger: Logger): () => Promise<string> {
  let nextId = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void; timer: NodeJS.Timeout }>();
  process.on('message', (m: unknown) => {
    if (!isClusterMessage(m)) return;
    if (m.type === 'modelgate:collect') {
      registry.getMetricsAsJSON().then(
        (metrics) => send({ type: 'modelgate:collected', id: m.id, metrics: metrics as never }),
        (err: Error) => send({ type: 'modelgate:collected', id: m.id, error: err.message }),
      );
    } else if (m.type === 'modelgate:scraped') {
      const w = waiting.get(m.id);
      if (!w) return;
      waiting.delete(m.id);
      clearTimeout(w.timer);
      if (m.text !== undefined) w.resolve(m.text);
      else w.reject(new Error(m.error ?? 'no metrics'));
    }
  });
  process.once('disconnect', () => {
    logger.warn('the cluster primary went away; shutting down');
    process.kill(process.pid, 'SIGTERM');
  });
  send({ type: 'modelgate:ready' });
  return () =>
    new Promise<string>((resolve, reject) => {
      const id = nextId++;
      const timer = setTimeout(() => {
        waiting.delete(id);
        reject(new Error('the cluster primary did not answer the scrape'));
      }, COLLECT_TIMEOUT_MS + 1_000);
      waiting.set(id, { resolve, reject, timer });
      send({ type: 'modelgate:scrape', id });
    });
}
