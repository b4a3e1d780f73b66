import { Injectable } from '@nestjs/common';
import { Counter, Gauge } from 'prom-client';
import { DataSource } from 'typeorm';
import { Metrics } from '../metrics/metrics.js';

export const ALERT_METRIC_NAMES = [
  'modelgate_alerts_firing',
  'modelgate_alerts_silenced',
  'modelgate_alerts_acknowledged',
  'modelgate_notifications_total',
] as const;

type Labels = 'model' | 'rule' | 'severity';

/**
 * Alerting's series in the application's one registry. The gauges are read
 * from the database at scrape time, so every replica reports the same
 * alert state whichever of them evaluated it; the counter is this replica's
 * own deliveries (sum over replicas).
 */
@Injectable()
export class AlertMetrics {
  readonly notifications: Counter<'receiver' | 'event' | 'outcome'>;

  constructor(metrics: Metrics, dataSource: DataSource) {
    const registers = [metrics.registry];
    this.notifications = new Counter({
      name: 'modelgate_notifications_total',
      help: 'Alert notifications by receiver, event and outcome (sent, failed: one failed attempt, given_up, silenced).',
      labelNames: ['receiver', 'event', 'outcome'],
      registers,
    });
    const gauges: Record<'firing' | 'silenced' | 'acknowledged', Gauge<Labels>> = {} as never;
    let pending: Promise<void> | null = null;
    // One query per scrape feeds all three gauges; the first gauge's collect runs it, the others await it.
    const refresh = () =>
      (pending ??= (async () => {
        try {
          const rows: { model: string; rule: string; severity: string; firing: string; silenced: string; acknowledged: string }[] = await dataSource.query(
            `SELECT model, rule, severity, count(*) AS firing, count(silenced_by) AS silenced, count(acknowledged_at) AS acknowledged
               FROM alerts WHERE state = 'firing' GROUP BY model, rule, severity`,
          );
          for (const g of Object.values(gauges)) g.reset();
          for (const r of rows) {
            const l = { model: r.model, rule: r.rule, severity: r.severity };
            gauges.firing.set(l, Number(r.firing));
            gauges.silenced.set(l, Number(r.silenced));
            gauges.acknowledged.set(l, Number(r.acknowledged));
          }
        } catch {
          // A scrape during a database outage shows the last known state rather than failing /metrics.
        } finally {
          setImmediate(() => (pending = null));
        }
      })());
    const gauge = (name: string, help: string) => new Gauge<Labels>({ name, help, labelNames: ['model', 'rule', 'severity'], registers, collect: refresh });
    gauges.firing = gauge('modelgate_alerts_firing', 'Alerts firing now.');
    gauges.silenced = gauge('modelgate_alerts_silenced', 'Firing alerts whose notifications a silence suppressed.');
    gauges.acknowledged = gauge('modelgate_alerts_acknowledged', 'Firing alerts on-call has acknowledged.');
  }
}
