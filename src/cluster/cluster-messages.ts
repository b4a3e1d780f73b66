import type { WorkerMetrics } from './metrics-aggregation.js';

/** The messages between the primary and its serving workers over the cluster's IPC channel. */
export type ClusterMessage =
  /** Worker -> primary: it listens (its HTTP and gRPC servers are bound). */
  | { type: 'modelgate:ready' }
  /** Worker -> primary: a scrape of /metrics arrived; answer with every worker's metrics combined. */
  | { type: 'modelgate:scrape'; id: number }
  /** Primary -> worker: the combined text, or why there is none. */
  | { type: 'modelgate:scraped'; id: number; text?: string; error?: string }
  /** Primary -> every worker: send your registry. */
  | { type: 'modelgate:collect'; id: number }
  /** Worker -> primary: its registry as JSON. */
  | { type: 'modelgate:collected'; id: number; metrics?: WorkerMetrics; error?: string };

export function isClusterMessage(m: unknown): m is ClusterMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string' && (m as { type: string }).type.startsWith('modelgate:');
}

/** How long a scrape waits for the workers' registries. */
export const COLLECT_TIMEOUT_MS = 4_000;
