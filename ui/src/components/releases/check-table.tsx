import type { RolloutStep } from '../../api/release-types.js';
import { checkFigures, checkName, verdict } from '../../releases.js';
import { fmt } from '../status.js';

/** A verdict by colour and by its word, never by colour alone. */
export function Verdict({ outcome }: { outcome: 'pass' | 'fail' | 'unjudged' }) {
  const v = verdict(outcome);
  return <span class={`badge verdict-${v}`}>{v}</span>;
}

/** Each judged window of a step, newest first, with every check's result, figures and note. */
export function CheckTable({ step }: { step: RolloutStep }) {
  const windows = [...(step.windows ?? [])].reverse();
  if (!windows.length) return <p class="muted">Step {step.step}: no window judged yet.</p>;
  return (
    <table class="list checks">
      <caption>
        Checks of step {step.step} ({step.weight}%), {windows.length} judged window{windows.length === 1 ? '' : 's'}, newest first
      </caption>
      <thead>
        <tr>
          <th scope="col">Window</th>
          <th scope="col">Check</th>
          <th scope="col">Result</th>
          <th scope="col">Figures</th>
          <th scope="col">Note</th>
        </tr>
      </thead>
      <tbody>
        {windows.flatMap((w) =>
          w.checks.map((c, i) => (
            <tr key={`${w.window_start}/${c.check}`}>
              {i === 0 && (
                <th scope="row" rowSpan={w.checks.length}>
                  {fmt.time(w.window_start)} – {new Date(w.window_end).toLocaleTimeString()}
                  <br />
                  {w.passed ? 'window passed' : 'window did not pass'}
                </th>
              )}
              <td>{checkName(c.check)}</td>
              <td>
                <Verdict outcome={c.outcome} />
              </td>
              <td>{checkFigures(c)}</td>
              <td>{c.note ?? ''}</td>
            </tr>
          )),
        )}
      </tbody>
    </table>
  );
}
