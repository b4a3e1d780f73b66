import { useState } from 'preact/hooks';
import { api } from '../../api/client.js';
import type { Alert } from '../../api/types.js';
import { href } from '../../router.js';
import { fmt } from '../status.js';

/** One list of alerts; firing, unacknowledged ones get an Acknowledge button (disabled, with the reason, for a key that may not). */
export function AlertTable({ caption, alerts, denied, onDone }: { caption: string; alerts: Alert[]; denied: string | null; onDone: (m: string) => void }) {
  if (!alerts.length) return <p>None.</p>;
  return (
    <table class="list" data-testid={caption}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Alert</th>
          <th scope="col">Severity</th>
          <th scope="col">Model</th>
          <th scope="col">Since</th>
          <th scope="col">State</th>
          <th scope="col">Action</th>
        </tr>
      </thead>
      <tbody>
        {alerts.map((a) => (
          <tr key={a.id} data-alert={a.id}>
            <th scope="row">
              {a.rule.replace(/_/g, ' ')}: {a.summary}
            </th>
            <td>
              <span class={`badge sev-${a.severity}`}>{a.severity}</span>
            </td>
            <td>
              <a href={href.monitoring(a.model)}>{a.model}</a> v{a.version} · {a.variant}
            </td>
            <td>{fmt.time(a.started_at)}</td>
            <td>
              {a.state}
              {a.acknowledged ? `, acknowledged by ${a.acknowledgements.at(-1)?.actor ?? '?'}${a.acknowledgements.at(-1)?.note ? `: “${a.acknowledgements.at(-1)!.note}”` : ''}` : ''}
              {a.silenced_by ? `, silenced (${a.silenced_by})` : ''}
            </td>
            <td>{a.state === 'firing' && !a.acknowledged ? <AckForm alert={a} denied={denied} onDone={onDone} /> : <span class="muted">—</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function AckForm({ alert, denied, onDone }: { alert: Alert; denied: string | null; onDone: (m: string) => void }) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const id = `ack-${alert.id}`;
  const submit = async (e: Event) => {
    e.preventDefault();
    try {
      await api.ack(alert.id, note);
      onDone(`Acknowledged: ${alert.summary}`);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form class="inline" onSubmit={submit}>
      <label for={`${id}-note`} class="sr-only">
        Note for acknowledging {alert.rule} on {alert.model}
      </label>
      <input id={`${id}-note`} type="text" placeholder="note (optional)" maxLength={2000} value={note} onInput={(e) => setNote((e.target as HTMLInputElement).value)} disabled={!!denied} />
      <button type="submit" disabled={!!denied} title={denied ?? undefined} aria-describedby={denied ? 'ack-denied' : undefined}>
        Acknowledge
      </button>
      {error && (
        <span class="error" role="alert">
          {error}
        </span>
      )}
    </form>
  );
}
