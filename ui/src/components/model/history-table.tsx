import type { Revision, ServingState } from '../../api/types.js';
import { servingSlices } from '../../serving.js';
import { fmt } from '../status.js';

function traffic(s: ServingState): string {
  if (!s.traffic) return 'production alias';
  return servingSlices(s.aliases, s.traffic)
    .map((x) => `${x.label} ${x.weight}%`)
    .join(' · ');
}

/** What a revision changed, as "before → after" lines. */
export function changes(r: Revision): string[] {
  const out: string[] = [];
  const names = [...new Set([...Object.keys(r.before.aliases ?? {}), ...Object.keys(r.after.aliases ?? {})])].sort();
  for (const a of names) {
    const b = r.before.aliases?.[a];
    const c = r.after.aliases?.[a];
    if (b !== c) out.push(`${a}: ${b === undefined ? '—' : `v${b}`} → ${c === undefined ? '—' : `v${c}`}`);
  }
  const tb = traffic(r.before);
  const ta = traffic(r.after);
  if (tb !== ta) out.push(`traffic: ${tb} → ${ta}`);
  return out.length ? out : ['no change'];
}

export function HistoryTable({ revisions }: { revisions: Revision[] }) {
  if (!revisions.length) return <p>No serving changes yet.</p>;
  return (
    <table class="list" data-testid="history">
      <caption>Serving history, newest first</caption>
      <thead>
        <tr>
          <th scope="col">Revision</th>
          <th scope="col">When</th>
          <th scope="col">Change</th>
          <th scope="col">Before → after</th>
          <th scope="col">Who</th>
          <th scope="col">Reason</th>
        </tr>
      </thead>
      <tbody>
        {revisions.map((r) => (
          <tr key={r.revision}>
            <th scope="row">{r.revision}</th>
            <td>{fmt.time(r.created_at)}</td>
            <td>
              {r.change.replace(/_/g, ' ')}
              {r.restored_revision !== null ? ` (to ${r.restored_revision})` : ''}
            </td>
            <td>
              <ul class="plain">
                {changes(r).map((c) => (
                  <li key={c}>{c}</li>
                ))}
              </ul>
            </td>
            <td>{r.actor}</td>
            <td>{r.reason || <span class="muted">none given</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
