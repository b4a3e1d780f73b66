import { useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { Rollout } from '../api/release-types.js';
import type { KeySelf } from '../api/types.js';
import { ModelTabs } from '../components/model/model-tabs.js';
import { CheckTable } from '../components/releases/check-table.js';
import { RolloutActions } from '../components/releases/rollout-actions.js';
import { StepsTable, WeightBar } from '../components/releases/rollout-steps.js';
import { ErrorBox, fmt, Loading, Section } from '../components/status.js';
import { useLoad } from '../use-load.js';

/** A model's rollouts: the newest (or the one chosen) with its steps, weight and checks, the operator's actions, and the past ones. */
export function RolloutsPage({ name, self, search }: { name: string; self: KeySelf; search: URLSearchParams }) {
  const [cursor, setCursor] = useState<string | undefined>(undefined);
  const list = useLoad(() => api.rollouts(name, { limit: 20, cursor }), [name, cursor]);
  const chosen = Number(search.get('rollout')) || list.data?.rollouts[0]?.id;
  const one = useLoad(() => (chosen ? api.rollout(name, chosen) : Promise.resolve(null)), [name, chosen]);
  const [notice, setNotice] = useState('');
  const done = (message: string) => {
    setNotice(message);
    one.reload();
    list.reload();
  };

  return (
    <div data-ready={!list.loading && !one.loading ? 'true' : undefined}>
      <h1>{name}: rollouts</h1>
      <ModelTabs name={name} current="rollouts" />
      <p role="status" class="notice" aria-live="polite">
        {notice}
      </p>
      {list.error ? (
        <ErrorBox error={list.error} />
      ) : !list.data ? (
        <Loading what="rollouts" />
      ) : !list.data.rollouts.length && !cursor ? (
        <p>No rollout of {name} yet. Start one with <code>POST /api/v1/models/{name}/rollouts</code> or <code>modelgate rollout start</code>.</p>
      ) : (
        <>
          {one.error ? <ErrorBox error={one.error} /> : one.data ? <Current rollout={one.data} self={self} onDone={done} /> : <Loading what="the rollout" />}
          <Section title="All rollouts" id="rollout-list">
            <RolloutList name={name} rollouts={list.data.rollouts} chosen={chosen} />
            <div class="buttons">
              {cursor && (
                <button type="button" onClick={() => setCursor(undefined)}>
                  Newest
                </button>
              )}
              {list.data.next_cursor && (
                <button type="button" onClick={() => setCursor(list.data!.next_cursor!)}>
                  Older rollouts
                </button>
              )}
            </div>
          </Section>
        </>
      )}
    </div>
  );
}

function Current({ rollout, self, onDone }: { rollout: Rollout; self: KeySelf; onDone: (m: string) => void }) {
  const r = rollout;
  return (
    <>
      <Section title={`Rollout ${r.id}: version ${r.candidate_version} replacing version ${r.baseline_version}`} id="rollout">
        <dl class="facts">
          <dt>State</dt>
          <dd>
            <strong data-testid="rollout-state">{r.state}</strong>
            {r.state_reason ? ` — ${r.state_reason}` : ''}
          </dd>
          <dt>Current step</dt>
          <dd>{r.current_step === null ? 'not started' : `${r.current_step} of ${r.steps.length}, candidate at ${r.current_weight}%`}</dd>
          <dt>Started by</dt>
          <dd>
            {r.created_by} at {fmt.time(r.created_at)}
            {r.reason ? `: ${r.reason}` : ''}
          </dd>
          <dt>Each step lasts at least</dt>
          <dd>{r.step_min_duration_s} s of passing windows</dd>
        </dl>
        <WeightBar rollout={r} />
        <StepsTable rollout={r} />
        <RolloutActions rollout={r} self={self} onDone={onDone} />
      </Section>
      <Section title="Checks of every judged window" id="rollout-checks">
        {r.steps.filter((s) => s.status !== 'waiting').map((s) => <CheckTable key={s.step} step={s} />)}
        {r.steps.every((s) => s.status === 'waiting') && <p class="muted">No step has started yet.</p>}
      </Section>
    </>
  );
}

function RolloutList({ name, rollouts, chosen }: { name: string; rollouts: Rollout[]; chosen: number | undefined }) {
  return (
    <table class="list">
      <caption>Rollouts of {name}, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Rollout</th>
          <th scope="col">Candidate</th>
          <th scope="col">State</th>
          <th scope="col">Steps</th>
          <th scope="col">Started</th>
          <th scope="col">Finished</th>
        </tr>
      </thead>
      <tbody>
        {rollouts.map((r) => (
          <tr key={r.id} aria-current={r.id === chosen ? 'true' : undefined}>
            <th scope="row">
              <a href={`?rollout=${r.id}`}>Rollout {r.id}</a>
            </th>
            <td>
              v{r.candidate_version} over v{r.baseline_version}
            </td>
            <td>{r.state}</td>
            <td>{r.steps.map((s) => `${s.weight}%`).join(' → ')}</td>
            <td>{fmt.time(r.created_at)}</td>
            <td>{fmt.time(r.finished_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
