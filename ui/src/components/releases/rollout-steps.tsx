import type { Rollout } from '../../api/release-types.js';
import { fmt } from '../status.js';

/** The candidate's current weight as a bar; the words beside it say the same, and the steps table holds every figure. */
export function WeightBar({ rollout }: { rollout: Rollout }) {
  const w = rollout.current_weight;
  const text = `Candidate version ${rollout.candidate_version}: ${w}%, baseline version ${rollout.baseline_version}: ${100 - w}%`;
  return (
    <div class="traffic">
      <div class="bar" role="img" aria-label={`Rollout weight: ${text}`} data-testid="rollout-weight">
        {w < 100 && (
          <div class="part" style={{ width: `${100 - w}%`, background: '#1f5fa8' }}>
            <span>baseline {100 - w}%</span>
          </div>
        )}
        {w > 0 && (
          <div class="part" style={{ width: `${w}%`, background: '#b34700' }}>
            <span>candidate {w}%</span>
          </div>
        )}
      </div>
      <p>{text}</p>
    </div>
  );
}

const STATUS_WORDS: Record<string, string> = { waiting: 'waiting', running: 'running now', paused: 'paused', passed: 'passed', aborted: 'aborted', promoted: 'promoted' };

/** Every step with its weight, where it stands and when it ran; the current one is marked in words too. */
export function StepsTable({ rollout }: { rollout: Rollout }) {
  return (
    <table class="list" data-testid="rollout-steps">
      <caption>Steps of rollout {rollout.id}</caption>
      <thead>
        <tr>
          <th scope="col">Step</th>
          <th scope="col">Candidate weight</th>
          <th scope="col">Status</th>
          <th scope="col">Started</th>
          <th scope="col">Ended</th>
          <th scope="col">Revision</th>
        </tr>
      </thead>
      <tbody>
        {rollout.steps.map((s) => {
          const current = s.step === rollout.current_step && (rollout.state === 'running' || rollout.state === 'paused');
          return (
            <tr key={s.step} class={current ? 'current' : undefined} aria-current={current ? 'step' : undefined}>
              <th scope="row">
                {s.step} of {rollout.steps.length}
                {current ? ' (current)' : ''}
              </th>
              <td>{s.weight}%</td>
              <td>{STATUS_WORDS[s.status ?? ''] ?? s.status ?? '—'}</td>
              <td>{fmt.time(s.started_at)}</td>
              <td>{fmt.time(s.ended_at)}</td>
              <td>{s.revision ?? '—'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
