import { useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { ApprovalRequest, RequestState } from '../api/release-types.js';
import type { KeySelf } from '../api/types.js';
import { ModelTabs } from '../components/model/model-tabs.js';
import { DecisionForm } from '../components/releases/decision-form.js';
import { ErrorBox, fmt, Loading, Section } from '../components/status.js';
import { useLoad } from '../use-load.js';

/** What a request asks for, in words. */
export function actionText(r: ApprovalRequest): string {
  const a = r.action;
  if (a.type === 'alias.move') return `Move ${a.alias} to version ${a.version}${a.force ? ' (forced past failing gates)' : ''}`;
  if (a.type === 'rollout.start') return `Start a rollout of version ${a.version ?? '?'}`;
  return a.type;
}

/** A model's approval requests: the pending ones with approve and reject, then the decided ones. */
export function ApprovalsPage({ name, self }: { name: string; self: KeySelf }) {
  const pending = useLoad(() => api.requests(name, { state: 'pending', limit: 50 }), [name]);
  const [state, setState] = useState<RequestState | ''>('');
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const all = useLoad(() => api.requests(name, { state: state || undefined, limit: 20, cursor }), [name, state, cursor]);
  const [notice, setNotice] = useState('');
  const done = (m: string) => {
    setNotice(m);
    pending.reload();
    all.reload();
  };

  return (
    <div data-ready={!pending.loading && !all.loading ? 'true' : undefined}>
      <h1>{name}: approvals</h1>
      <ModelTabs name={name} current="approvals" />
      <p role="status" class="notice" aria-live="polite">
        {notice}
      </p>
      <Section title="Waiting for a decision" id="pending">
        {pending.error ? (
          <ErrorBox error={pending.error} />
        ) : !pending.data ? (
          <Loading what="pending requests" />
        ) : !pending.data.requests.length ? (
          <p>No request is waiting.</p>
        ) : (
          <ul class="requests">
            {pending.data.requests.map((r) => (
              <li key={r.id} class="request" aria-labelledby={`req-${r.id}`}>
                <h3 id={`req-${r.id}`}>{actionText(r)}</h3>
                <p>
                  Asked by key {r.requested_by} at {fmt.time(r.created_at)}
                  {r.reason ? `: “${r.reason}”` : ''}. Expires {fmt.time(r.expires_at)}; serving revision {r.serving_revision}.
                </p>
                <DecisionForm request={r} self={self} onDone={done} />
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="All requests" id="requests">
        <label for="request-state">State</label>{' '}
        <select
          id="request-state"
          value={state}
          onChange={(e) => {
            setCursor(undefined);
            setState((e.target as HTMLSelectElement).value as RequestState | '');
          }}
        >
          <option value="">any</option>
          <option value="pending">pending</option>
          <option value="approved">approved</option>
          <option value="rejected">rejected</option>
          <option value="expired">expired</option>
        </select>
        {all.error ? <ErrorBox error={all.error} /> : !all.data ? <Loading what="requests" /> : <RequestsTable requests={all.data.requests} name={name} />}
        <div class="buttons">
          {cursor && (
            <button type="button" onClick={() => setCursor(undefined)}>
              Newest
            </button>
          )}
          {all.data?.next_cursor && (
            <button type="button" onClick={() => setCursor(all.data!.next_cursor!)}>
              Older requests
            </button>
          )}
        </div>
      </Section>
    </div>
  );
}

function RequestsTable({ requests, name }: { requests: ApprovalRequest[]; name: string }) {
  if (!requests.length) return <p>No request of {name} in this state.</p>;
  return (
    <table class="list" data-testid="requests">
      <caption>Requests of {name}, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Asked</th>
          <th scope="col">Action</th>
          <th scope="col">State</th>
          <th scope="col">Requested by (key)</th>
          <th scope="col">Decided by (key)</th>
          <th scope="col">Comment</th>
        </tr>
      </thead>
      <tbody>
        {requests.map((r) => (
          <tr key={r.id}>
            <th scope="row">{fmt.time(r.created_at)}</th>
            <td>{actionText(r)}</td>
            <td>
              <span class={`badge state-${r.state}`}>{r.state}</span>
            </td>
            <td>{r.requested_by}</td>
            <td>{r.decided_by ? `${r.decided_by} at ${fmt.time(r.decided_at)}` : '—'}</td>
            <td>{r.comment ?? ''}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
