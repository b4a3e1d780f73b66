import { useState } from 'preact/hooks';
import { api } from '../../api/client.js';
import type { KeySelf, Model, Version } from '../../api/types.js';
import { refusal } from '../../permissions.js';

interface ActionProps {
  model: Model;
  versions: Version[];
  self: KeySelf;
  /** Called after a change succeeded, with what to announce. */
  onDone: (message: string) => void;
}

/** Runs one write; its error is shown beside the form that sent it. */
export function useSubmit(run: () => Promise<string>, onDone: (m: string) => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onDone(await run());
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, submit };
}

function Reason({ id, value, set }: { id: string; value: string; set: (v: string) => void }) {
  return (
    <div>
      <label for={id}>Reason (kept in the history)</label>
      <input id={id} type="text" required maxLength={2000} value={value} onInput={(e) => set((e.target as HTMLInputElement).value)} />
    </div>
  );
}

export function Refusal({ id, reason }: { id: string; reason: string | null }) {
  if (!reason) return null;
  return (
    <p id={id} class="refusal">
      {reason}
    </p>
  );
}

export function FormError({ error }: { error: string | null }) {
  return error ? (
    <p class="error" role="alert">
      {error}
    </p>
  ) : null;
}

const live = (versions: Version[]) => versions.filter((v) => v.status !== 'archived');

export function AliasForm({ model, versions, self, onDone }: ActionProps) {
  const names = [...new Set(['production', 'staging', ...Object.keys(model.aliases)])];
  const [alias, setAlias] = useState('production');
  const [version, setVersion] = useState(String(live(versions)[0]?.version ?? ''));
  const [reason, setReason] = useState('');
  const denied = refusal(self, 'registry:write');
  const { busy, error, submit } = useSubmit(async () => {
    const r = await api.setAlias(model.name, alias, Number(version), reason);
    setReason('');
    return `Alias ${alias} now points at version ${version} (revision ${r.revision}).`;
  }, onDone);
  return (
    <form class="action" onSubmit={submit} aria-labelledby="alias-form-title">
      <h3 id="alias-form-title">Move an alias</h3>
      <div>
        <label for="alias-name">Alias</label>
        <input id="alias-name" list="alias-names" required value={alias} onInput={(e) => setAlias((e.target as HTMLInputElement).value)} />
        <datalist id="alias-names">
          {names.map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
      </div>
      <div>
        <label for="alias-version">Version</label>
        <select id="alias-version" value={version} onChange={(e) => setVersion((e.target as HTMLSelectElement).value)}>
          {live(versions).map((v) => (
            <option key={v.version} value={v.version}>
              v{v.version}
              {v.aliases.length ? ` (${v.aliases.join(', ')})` : ''}
            </option>
          ))}
        </select>
      </div>
      <Reason id="alias-reason" value={reason} set={setReason} />
      <button type="submit" disabled={!!denied || busy} aria-describedby={denied ? 'alias-denied' : undefined}>
        Move alias
      </button>
      <Refusal id="alias-denied" reason={denied} />
      <FormError error={error} />
    </form>
  );
}

export function TrafficForm({ model, versions, self, onDone }: ActionProps) {
  const policy = model.traffic_policy;
  const [weights, setWeights] = useState<number[]>(() => policy?.routes.map((r) => r.weight) ?? []);
  const [candidate, setCandidate] = useState(String(live(versions).find((v) => v.version !== model.aliases.production)?.version ?? ''));
  const [share, setShare] = useState(10);
  const [reason, setReason] = useState('');
  const denied = refusal(self, 'registry:write');
  const total = policy ? weights.reduce((a, b) => a + b, 0) : 100;
  const { busy, error, submit } = useSubmit(async () => {
    const routes = policy
      ? policy.routes.map((r, i) => ({ ...r, weight: weights[i] }))
      : [
          { alias: 'production', weight: 100 - share },
          { version: Number(candidate), weight: share, name: `v${candidate}` },
        ];
    const { routes: _old, ...rest } = policy ?? { routes: [] };
    const r = await api.setTraffic(model.name, { ...rest, routes, reason });
    setReason('');
    return `Traffic changed (revision ${r.revision}).`;
  }, onDone);
  return (
    <form class="action" onSubmit={submit} aria-labelledby="traffic-form-title">
      <h3 id="traffic-form-title">{policy ? 'Change the traffic split' : 'Split traffic with a candidate'}</h3>
      {policy ? (
        policy.routes.map((r, i) => (
          <div key={i}>
            <label for={`weight-${i}`}>Weight of {r.name ?? r.alias ?? `v${r.version}`} (%)</label>
            <input
              id={`weight-${i}`}
              type="number"
              min={0}
              max={100}
              required
              value={weights[i]}
              onInput={(e) => setWeights(weights.map((w, j) => (j === i ? Number((e.target as HTMLInputElement).value) : w)))}
            />
          </div>
        ))
      ) : (
        <>
          <div>
            <label for="candidate-version">Candidate version</label>
            <select id="candidate-version" value={candidate} onChange={(e) => setCandidate((e.target as HTMLSelectElement).value)}>
              {live(versions).map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version}
                </option>
              ))}
            </select>
          </div>
          <div>
            <label for="candidate-share">Candidate's share (%)</label>
            <input id="candidate-share" type="number" min={0} max={100} required value={share} onInput={(e) => setShare(Number((e.target as HTMLInputElement).value))} />
          </div>
        </>
      )}
      <Reason id="traffic-reason" value={reason} set={setReason} />
      {total !== 100 && (
        <p class="error" role="alert">
          Weights add up to {total}%; they must add up to 100%.
        </p>
      )}
      <button type="submit" disabled={!!denied || busy || total !== 100 || (!policy && model.aliases.production === undefined)} aria-describedby={denied ? 'traffic-denied' : undefined}>
        Apply traffic
      </button>
      <Refusal id="traffic-denied" reason={denied ?? (!policy && model.aliases.production === undefined ? 'A split needs a production alias to split from.' : null)} />
      <FormError error={error} />
    </form>
  );
}

export function RollbackForm({ model, self, onDone }: Omit<ActionProps, 'versions'>) {
  const [reason, setReason] = useState('');
  const denied = refusal(self, 'registry:write') ?? (model.serving_revision < 2 ? 'There is no earlier serving revision to go back to.' : null);
  const { busy, error, submit } = useSubmit(async () => {
    const r = await api.rollback(model.name, reason);
    setReason('');
    return `Rolled back to the previous serving state (revision ${r.revision}).`;
  }, onDone);
  return (
    <form class="action" onSubmit={submit} aria-labelledby="rollback-form-title">
      <h3 id="rollback-form-title">Roll back</h3>
      <p>Restores the serving state before the latest change, as a new revision.</p>
      <Reason id="rollback-reason" value={reason} set={setReason} />
      <button type="submit" class="danger" disabled={!!denied || busy} aria-describedby={denied ? 'rollback-denied' : undefined}>
        Roll back
      </button>
      <Refusal id="rollback-denied" reason={denied} />
      <FormError error={error} />
    </form>
  );
}
