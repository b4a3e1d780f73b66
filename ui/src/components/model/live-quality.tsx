import type { PerformanceAnswer } from '../../api/types.js';
import { estimatedAuc } from '../../estimates.js';
import { fmt } from '../status.js';

/** Per variant over the last day: predictions, labels and live AUC beside the validation AUC and the AUC estimated from the scores alone. */
export function LiveQuality({ perf }: { perf: PerformanceAnswer }) {
  if (!perf.series.length) return <p>No predictions in the last 24 hours.</p>;
  return (
    <table class="list" data-testid="live-quality">
      <caption>Live quality, last 24 hours</caption>
      <thead>
        <tr>
          <th scope="col">Variant</th>
          <th scope="col">Version</th>
          <th scope="col">Predictions</th>
          <th scope="col">Labels</th>
          <th scope="col">Live AUC</th>
          <th scope="col">Validation AUC</th>
          <th scope="col">Estimated AUC (95% band)</th>
        </tr>
      </thead>
      <tbody>
        {perf.series.map((s) => (
          <tr key={`${s.version}-${s.variant}`}>
            <th scope="row">{s.variant}</th>
            <td>v{s.version}</td>
            <td>{s.window.predictions}</td>
            <td>{s.window.labels}</td>
            <td>{fmt.num(s.window.auc)}</td>
            <td>{fmt.num(s.validation.auc)}</td>
            <td>{estimatedAuc(s, s.window)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
