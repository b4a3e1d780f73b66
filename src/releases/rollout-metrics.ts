import { Injectable } from '@nestjs/common';
import { Gauge } from 'prom-client';
import { Metrics } from '../metrics/metrics.js';
import { RolloutsStore } from './rollouts.store.js';

export const ROLLOUT_METRIC_NAMES = ['modelgate_rollout_step', 'modelgate_rollout_weight', 'modelgate_rollout_state'] as const;
const STATES = ['pending', 'running', 'paused', 'completed', 'aborted'] as const;

/**
 * The newest rollout of each model, read from the database at scrape time
 * so every replica reports what the elected driver did (one series set per
 * model, so the count stays bounded however many rollouts ran).
 */
@Injectable()
export class RolloutMetrics {
  constructor(metrics: Metrics, store: RolloutsStore) {
    const registers = [metrics.registry];
    let pending: Promise<void> | null = null;
    const gauges: Gauge<string>[] = [];
    const refresh = () =>
      (pending ??= (async () => {
        try {
          const rows = await store.latestPerModel();
          for (const g of gauges) g.reset();
          for (const r of rows) {
            const l = { model: r.model_name, rollout: String(r.id) };
            const live = r.state === 'running' || r.state === 'paused';
            step.set(l, r.state === 'pending' ? 0 : r.state === 'completed' ? r.steps.length : r.current_step + 1);
            weight.set(l, live ? r.steps[r.current_step] : r.state === 'completed' ? 100 : 0);
            for (const s of STATES) state.set({ ...l, state: s }, s === r.state ? 1 : 0);
          }
        } catch {
          // A scrape during a database outage shows the last known state rather than failing /metrics.
        } finally {
          setImmediate(() => (pending = null));
        }
      })());
    const step = new Gauge({ name: 'modelgate_rollout_step', help: "The rollout's current step, 1-based (0 before it starts).", labelNames: ['model', 'rollout'], registers, collect: refresh });
    const weight = new Gauge({ name: 'modelgate_rollout_weight', help: "Percentage of the model's traffic the rollout sends to its candidate.", labelNames: ['model', 'rollout'], registers, collect: refresh });
    const state = new Gauge({ name: 'modelgate_rollout_state', help: 'The rollout state: 1 for the one it is in.', labelNames: ['model', 'rollout', 'state'], registers, collect: refresh });
    gauges.push(step, weight, state);
  }
}
