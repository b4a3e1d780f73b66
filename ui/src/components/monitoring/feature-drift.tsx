import type { BaselineSketch, DriftCheck, FeatureDrift } from '../../api/types.js';
import { Histogram } from '../histogram.js';
import { fmt } from '../status.js';

/** The drift statistic a feature is drawn by: PSI for numeric columns, the Jensen-Shannon distance for categorical ones. */
export function statistic(f: FeatureDrift): { name: string; value: number | null; p: number | null } {
  return f.kind === 'numeric' ? { name: 'PSI', value: f.psi, p: f.ks_p_value } : { name: 'JS distance', value: f.js_distance, p: f.chi2_p_value };
}

export function FeatureDriftTable({ check }: { check: DriftCheck }) {
  const rows = [...check.features].sort((a, b) => Number(b.drifted) - Number(a.drifted) || a.feature.localeCompare(b.feature));
  return (
    <table class="list" data-testid="feature-drift">
      <caption>
        Feature drift in the window from {fmt.time(check.window_start)} ({check.rows} rows{check.judged ? '' : ', too few to judge'}):{' '}
        {check.drifted_features.length ? `${check.drifted_features.length} drifted` : 'nothing drifted'}
      </caption>
      <thead>
        <tr>
          <th scope="col">Feature</th>
          <th scope="col">Verdict</th>
          <th scope="col">Kind</th>
          <th scope="col">Statistic</th>
          <th scope="col">p-value (KS or chi²)</th>
          <th scope="col">Rows with a value</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((f) => {
          const s = statistic(f);
          return (
            <tr key={f.feature} class={f.drifted ? 'drifted' : undefined} data-feature={f.feature} data-drifted={f.drifted ? 'true' : 'false'}>
              <th scope="row">{f.feature}</th>
              <td>{f.drifted ? <strong class="badge bad">Drifted</strong> : <span class="badge ok">OK</span>}</td>
              <td>{f.kind}</td>
              <td>
                {s.name} {fmt.num(s.value)}
              </td>
              <td>{fmt.p(s.p)}</td>
              <td>{f.samples}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** Baseline against the chosen window per feature, drifted features first. */
export function FeatureHistograms({ check, baseline }: { check: DriftCheck; baseline: BaselineSketch }) {
  const rows = [...check.features].filter((f) => baseline.features[f.feature]).sort((a, b) => Number(b.drifted) - Number(a.drifted) || a.feature.localeCompare(b.feature));
  if (rows.every((f) => !f.live_counts)) return <p>This window was checked before live bin counts were recorded; its histograms cannot be drawn.</p>;
  return (
    <div class="grid">
      {rows.map((f) => (
        <div key={f.feature} class={f.drifted ? 'card drifted' : 'card'}>
          <Histogram title={`${f.feature}${f.drifted ? ' (drifted)' : ''}: baseline against the window`} sketch={baseline.features[f.feature]} live={f.live_counts} height={170} />
        </div>
      ))}
    </div>
  );
}
