import type { DriftCheck } from '../../api/types.js';
import { fmt } from '../status.js';

export function DataQualityTable({ check }: { check: DriftCheck }) {
  return (
    <table class="list">
      <caption>Data quality in the window from {fmt.time(check.window_start)}</caption>
      <thead>
        <tr>
          <th scope="col">Feature</th>
          <th scope="col">Missing</th>
          <th scope="col">Out of range</th>
          <th scope="col">Unseen categories</th>
          <th scope="col">Violations</th>
        </tr>
      </thead>
      <tbody>
        {check.data_quality.map((q) => (
          <tr key={q.feature} class={q.violations.length ? 'drifted' : undefined}>
            <th scope="row">{q.feature}</th>
            <td>{fmt.pct(q.missing_rate)}</td>
            <td>{fmt.pct(q.out_of_range_rate)}</td>
            <td>
              {fmt.pct(q.unseen_rate)}
              {q.unseen_count ? ` (${q.unseen_count})` : ''}
            </td>
            <td>{q.violations.length ? <strong class="badge bad">{q.violations.join(', ').replace(/_/g, ' ')}</strong> : <span class="badge ok">none</span>}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
