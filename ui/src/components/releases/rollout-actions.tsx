import { useRef, useState } from 'preact/hooks';
import { api } from '../../api/client.js';
import type { Rollout, RolloutAction } from '../../api/release-types.js';
import type { KeySelf } from '../../api/types.js';
import { refusal } from '../../permissions.js';
import { actionsFor } from '../../releases.js';
import { FormError, Refusal, useSubmit } from '../model/actions.js';

const LABELS: Record<RolloutAction, string> = { pause: 'Pause', resume: 'Resume', abort: 'Abort', promote: 'Promote now' };
const DONE: Record<RolloutAction, string> = { pause: 'paused', resume: 'resumed', abort: 'aborted', promote: 'promoted' };

/** Pause, resume, abort or promote the rollout with a reason; only what its state accepts is offered. */
export function RolloutActions({ rollout, self, onDone }: { rollout: Rollout; self: KeySelf; onDone: (message: string) => void }) {
  const [reason, setReason] = useState('');
  // The pressed button, read when the form submits (a state update would not be seen until the next render).
  const pressed = useRef<RolloutAction | null>(null);
  const denied = refusal(self, 'registry:write');
  const allowed = actionsFor(rollout.state);
  const { busy, error, submit } = useSubmit(async () => {
    const action = pressed.current;
    if (!action) throw new Error('Choose an action.');
    const r = await api.rolloutAction(rollout.model, rollout.id, action, reason);
    setReason('');
    return `Rollout ${rollout.id} ${DONE[action]}: now ${r.state}.`;
  }, onDone);
  if (!allowed.length) return <p class="muted">Rollout {rollout.id} is {rollout.state}: nothing left to act on.</p>;
  return (
    <form class="action narrow" onSubmit={submit} aria-labelledby="rollout-actions-title">
      <h3 id="rollout-actions-title">Act on rollout {rollout.id}</h3>
      <div>
        <label for="rollout-reason">Reason (kept with the rollout and in the history)</label>
        <input id="rollout-reason" type="text" required maxLength={2000} value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
      </div>
      <div class="buttons">
        {allowed.map((a) => (
          <button
            key={a}
            type="submit"
            class={a === 'abort' ? 'danger' : undefined}
            disabled={!!denied || busy}
            aria-describedby={denied ? 'rollout-denied' : undefined}
            onClick={() => (pressed.current = a)}
          >
            {LABELS[a]}
          </button>
        ))}
      </div>
      <Refusal id="rollout-denied" reason={denied} />
      <FormError error={error} />
    </form>
  );
}
