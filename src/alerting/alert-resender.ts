import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG } from '../config/config.module.js';
import type { AppConfig } from '../config/config.schema.js';
import { AlertStore } from './alert-store.js';

/**
 * The elected keep-alive: Alertmanager resolves an alert it has not heard of
 * for `resolve_timeout`, so a firing alert is re-sent to it every
 * `MODELGATE_ALERTMANAGER_RESEND_MS`, acknowledged or not; a webhook is
 * re-notified every `MODELGATE_WEBHOOK_RENOTIFY_MS` until acknowledged.
 * A receiver with a notification of the alert still pending gets no new one,
 * so a receiver that is down does not pile up keep-alives. A silenced alert
 * whose silence lifted while it still fires is paged here.
 */
@Injectable()
export class AlertResender {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: AlertStore,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async run(): Promise<number> {
    const silenced: { id: string }[] = await this.dataSource.query(`SELECT id FROM alerts WHERE state = 'firing' AND silenced_by IS NOT NULL`);
    for (const s of silenced) await this.dataSource.transaction((em) => this.store.unsilenceIfLifted(em, s.id));
    const a = this.config.alerting;
    const due: { alert_id: string; receiver_id: string }[] = await this.dataSource.query(
      `SELECT n.alert_id, n.receiver_id
         FROM alert_notifications n JOIN alerts al ON al.id = n.alert_id
        WHERE al.state = 'firing' AND n.status <> 'silenced' AND n.receiver_type IN ('alertmanager', 'webhook')
        GROUP BY n.alert_id, n.receiver_id, n.receiver_type, al.acknowledged_at
       HAVING count(*) FILTER (WHERE n.status = 'pending') = 0
          AND count(*) FILTER (WHERE n.event = 'trigger' AND n.status = 'sent') > 0
          AND CASE WHEN n.receiver_type = 'alertmanager' THEN max(n.created_at) <= now() - make_interval(secs => $1::float8)
                   ELSE $2::float8 > 0 AND al.acknowledged_at IS NULL AND max(n.created_at) <= now() - make_interval(secs => $2::float8) END`,
      [a.alertmanagerResendMs / 1000, a.webhookRenotifyMs / 1000],
    );
    let queued = 0;
    for (const d of due) {
      queued += await this.dataSource.transaction(async (em) => {
        // The alert may have resolved since the scan; resend only while it still fires.
        const [still] = await em.query(`SELECT 1 FROM alerts WHERE id = $1 AND state = 'firing' FOR UPDATE`, [d.alert_id]);
        return still ? this.store.enqueue(em, d.alert_id, 'resend', d.receiver_id) : 0;
      });
    }
    return queued;
  }
}
