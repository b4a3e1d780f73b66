import { useState } from 'preact/hooks';
import { api } from '../../api/client.js';

const RULES = ['feature_drift', 'prediction_drift', 'data_quality', 'auc', 'latency_p99', 'error_rate'];
const SEVERITIES = ['critical', 'error', 'warning', 'info'];

/** Silences pages matching {model glob, rule, severity} for a while; the alerts are still recorded. */
export function SilenceForm({ denied, onDone }: { denied: string | null; onDone: (m: string) => void }) {
  const [model, setModel] = useState('');
  const [rule, setRule] = useState('');
  const [severity, setSeverity] = useState('');
  const [hours, setHours] = useState(2);
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      const matchers = { ...(model ? { model } : {}), ...(rule ? { rule } : {}), ...(severity ? { severity } : {}) };
      await api.silence({ matchers, ends_at: new Date(Date.now() + hours * 3600_000).toISOString(), reason });
      setReason('');
      onDone(`Silenced for ${hours} hours.`);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <form class="action narrow" onSubmit={submit} aria-labelledby="silence-title">
      <h3 id="silence-title">New silence</h3>
      <div>
        <label for="silence-model">Model (glob, e.g. credit-*; empty: every model)</label>
        <input id="silence-model" type="text" value={model} onInput={(e) => setModel((e.target as HTMLInputElement).value)} />
      </div>
      <div>
        <label for="silence-rule">Rule</label>
        <select id="silence-rule" value={rule} onChange={(e) => setRule((e.target as HTMLSelectElement).value)}>
          <option value="">any rule</option>
          {RULES.map((r) => (
            <option key={r} value={r}>
              {r.replace(/_/g, ' ')}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for="silence-severity">Severity</label>
        <select id="silence-severity" value={severity} onChange={(e) => setSeverity((e.target as HTMLSelectElement).value)}>
          <option value="">any severity</option>
          {SEVERITIES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </div>
      <div>
        <label for="silence-hours">For (hours)</label>
        <input id="silence-hours" type="number" min={0.25} max={720} step={0.25} required value={hours} onInput={(e) => setHours(Number((e.target as HTMLInputElement).value))} />
      </div>
      <div>
        <label for="silence-reason">Reason</label>
        <input id="silence-reason" type="text" required maxLength={2000} value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
      </div>
      <button type="submit" disabled={!!denied} aria-describedby={denied ? 'silence-denied' : undefined}>
        Silence
      </button>
      {denied && (
        <p id="silence-denied" class="refusal">
          {denied}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}
