import { useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { KeySelf } from '../api/types.js';
import { refusal } from '../permissions.js';
import { AlertTable } from '../components/alerts/alert-table.js';
import { SilenceForm } from '../components/alerts/silence-form.js';
import { ErrorBox, fmt, Loading, Section } from '../components/status.js';
import { useLoad } from '../use-load.js';

export function AlertsPage({ self }: { self: KeySelf }) {
  const read = refusal(self, 'monitor:read');
  const denied = refusal(self, 'monitor:write');
  const data = useLoad(() => (read ? Promise.resolve(null) : Promise.all([api.alerts({ state: 'firing', limit: 500 }), api.silences()])), [read]);
  const [notice, setNotice] = useState('');
  const done = (m: string) => {
    setNotice(m);
    data.reload();
  };
  if (read) return <p class="refusal">{read}</p>;
  if (data.error) return <ErrorBox error={data.error} />;
  if (!data.data) return <Loading what="alerts" />;
  const [{ alerts }, { silences }] = data.data;
  const silenced = alerts.filter((a) => a.silenced_by);
  const acknowledged = alerts.filter((a) => !a.silenced_by && a.acknowledged);
  const firing = alerts.filter((a) => !a.silenced_by && !a.acknowledged);
  return (
    <>
      <h1>Alerts</h1>
      <p role="status" class="notice" aria-live="polite">
        {notice}
      </p>
      {denied && (
        <p id="ack-denied" class="refusal">
          {denied}
        </p>
      )}
      <Section title={`Firing (${firing.length})`} id="firing">
        <AlertTable caption="Firing, not acknowledged" alerts={firing} denied={denied} onDone={done} />
      </Section>
      <Section title={`Acknowledged (${acknowledged.length})`} id="acknowledged">
        <AlertTable caption="Firing, acknowledged" alerts={acknowledged} denied={denied} onDone={done} />
      </Section>
      <Section title={`Silenced (${silenced.length})`} id="silenced">
        <AlertTable caption="Firing, silenced" alerts={silenced} denied={denied} onDone={done} />
        {silences.length === 0 ? (
          <p>No active silences.</p>
        ) : (
        <table class="list" data-testid="silences">
          <caption>Active silences</caption>
          <thead>
            <tr>
              <th scope="col">Matches</th>
              <th scope="col">Until</th>
              <th scope="col">Reason</th>
              <th scope="col">By</th>
              <th scope="col">Action</th>
            </tr>
          </thead>
          <tbody>
            {silences.map((s) => (
              <tr key={s.id}>
                <th scope="row">{Object.entries(s.matchers).map(([k, v]) => `${k}=${v}`).join(', ') || 'everything'}</th>
                <td>{fmt.time(s.ends_at)}</td>
                <td>{s.reason}</td>
                <td>{s.created_by ?? '—'}</td>
                <td>
                  <button type="button" disabled={!!denied} onClick={() => api.expireSilence(s.id).then(() => done('Silence expired.'), (e: Error) => setNotice(e.message))}>
                    Expire
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        )}
        <SilenceForm denied={denied} onDone={done} />
      </Section>
    </>
  );
}
