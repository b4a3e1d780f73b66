import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { type CounterChild, FastCounter, FastHistogram, type HistogramChild } from './fast-metrics.js';
import { Metrics } from './metrics.js';

/** The online feature look-up series. */
export const FEATURE_METRIC_NAMES = ['modelgate_feature_lookups_total', 'modelgate_feature_lookup_duration_seconds', 'modelgate_feature_store_circuit_open'] as const;

/** One store read of a micro-batch: 50 us (Redis on loopback) to the largest time budget. */
export const FEATURE_LOOKUP_BUCKETS = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 10] as const;

/**
 * Look-ups counted per view and outcome (`hit`, `sent`, `missing`, `stale`,
 * `error`: one per row and looked-up feature), the store read's latency per
 * store (`outcome`: `ok`, `error`, `timeout`), and whether the store's
 * breaker is open. Children are cached: this runs once per micro-batch.
 */
@Injectable()
export class FeatureMetrics {
  readonly lookups: FastCounter<'view' | 'outcome'>;
  readonly lookupDuration: FastHistogram<'store' | 'outcome'>;
  readonly circuitOpen: Gauge<'store'>;
  private readonly counters = new Map<string, CounterChild>();
  private readonly durations = new Map<string, HistogramChild>();

  constructor(metrics: Metrics) {
    const registers = [metrics.registry];
    this.lookups = new FastCounter({
      name: 'modelgate_feature_lookups_total',
      help: 'Looked-up feature values per view and outcome (hit, sent: the caller sent it, missing, stale, error: the store could not answer); one per row and feature.',
      labelNames: ['view', 'outcome'],
      registers,
    });
    this.lookupDuration = new FastHistogram({
      name: 'modelgate_feature_lookup_duration_seconds',
      help: 'One online store read of a micro-batch (every view and entity in one round trip), by store and outcome (ok, error, timeout).',
      labelNames: ['store', 'outcome'],
      buckets: FEATURE_LOOKUP_BUCKETS,
      registers,
    });
    this.circuitOpen = new Gauge({ name: 'modelgate_feature_store_circuit_open', help: "1 while the online store's circuit breaker is open (reads fail fast and the feature policies decide).", labelNames: ['store'], registers });
  }

  count(view: string, outcome: string, n: number): void {
    if (n === 0) return;
    const key = `${view}\u0000${outcome}`;
    let c = this.counters.get(key);
    if (!c) this.counters.set(key, (c = this.lookups.labels(view, outcome)));
    c.inc(n);
  }

  observeRead(store: string, outcome: 'ok' | 'error' | 'timeout', seconds: number): void {
    const key = `${store}\u0000${outcome}`;
    let h = this.durations.get(key);
    if (!h) this.durations.set(key, (h = this.lookupDuration.labels(store, outcome)));
    h.observe(seconds);
  }

  setCircuitOpen(store: string, open: boolean): void {
    this.circuitOpen.set({ store }, open ? 1 : 0);
  }
}
