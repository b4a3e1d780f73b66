import { useRef, useState } from 'preact/hooks';
import { api, ApiError } from '../../api/client.js';
import type { ApprovalRequest } from '../../api/release-types.js';
import type { KeySelf } from '../../api/types.js';
import { approveRefusal } from '../../permissions.js';
import { Refusal } from '../model/actions.js';

/** The service's refusals a person can act on, said plainly; anything else is shown as the service words it. */
const REFUSALS: Record<string, string> = {
  SELF_APPROVAL: 'Refused: a request needs a second person. Your key is the requester’s, or was created by the same creator.',
  APPROVE_SCOPE_REQUIRED: 'Refused: your key must hold the approve scope itself; admin is not enough.',
  SERVING_STATE_MOVED: 'Refused: what serves this model changed since the request; it stays pending until rejected or expired.',
  GATE_FAILED: 'Refused: the candidate no longer passes the promotion gates.',
};

/** Approve or reject one pending request with a comment; enabled only for keys holding approve. */
export function DecisionForm({ request, self, onDone }: { request: ApprovalRequest; self: KeySelf; onDone: (m: string) => void }) {
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | Error | null>(null);
  const pressed = useRef<'approve' | 'reject'>('approve');
  const denied = approveRefusal(self);
  const id = `decide-${request.id}`;
  const submit = async (e: Event) => {
    e.preventDefault();
    const decision = pressed.current;
    setBusy(true);
    setError(null);
    try {
      const r = await api.decide(request.model, request.id, decision, comment);
      onDone(`Request ${request.id.slice(0, 8)} ${r.state}.`);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="decision" onSubmit={submit} aria-label={`Decide request ${request.id.slice(0, 8)}`}>
      <label for={`${id}-comment`}>Comment</label>
      <input id={`${id}-comment`} type="text" maxLength={2000} value={comment} onInput={(e) => setComment((e.target as HTMLInputElement).value)} />
      <div class="buttons">
        <button type="submit" disabled={!!denied || busy} aria-describedby={denied ? `${id}-denied` : undefined} onClick={() => (pressed.current = 'approve')}>
          Approve
        </button>
        <button type="submit" class="danger" disabled={!!denied || busy} aria-describedby={denied ? `${id}-denied` : undefined} onClick={() => (pressed.current = 'reject')}>
          Reject
        </button>
      </div>
      <Refusal id={`${id}-denied`} reason={denied} />
      {error && (
        <p class="error" role="alert">
          {error instanceof ApiError && REFUSALS[error.code] ? `${REFUSALS[error.code]} ` : ''}
          {error.message}
          {error instanceof ApiError ? ` (${error.code})` : ''}
        </p>
      )}
    </form>
  );
}
