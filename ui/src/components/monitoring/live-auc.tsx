import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import type { PerformanceAnswer } from '../../api/types.js';
import { estimatedAuc } from '../../estimates.js';
import { Chart } from '../chart.js';
import { fmt } from '../status.js';

const COLOURS = ['#1f5fa8', '#b34700', '#2e7d32', '#6a3d9a'];

/**
 * Live AUC per variant and bucket against each variant's validation AUC
 * (dashed) and, where the version can be estimated, the AUC estimated from
 * the scores alone (dotted, in its shaded 95% band), with label counts and
 * DeLong's test between variants.
 */
export function LiveAuc({ perf }: { perf: PerformanceAnswer }) {
  const view = useMemo(() => {
    const starts = [...new Set(perf.series.flatMap((s) => s.buckets.map((b) => b.window_start)))].sort();
    const xs = starts.map((t) => Date.parse(t) / 1000);
    const data: (number | null)[][] = [xs];
    const series: uPlot.Series[] = [{}];
    const bands: uPlot.Band[] = [];
    perf.series.forEach((s, i) => {
      const byStart = new Map(s.buckets.map((b) => [b.window_start, b]));
      const colour = COLOURS[i % COLOURS.length];
      data.push(starts.map((t) => byStart.get(t)?.auc ?? null));
      series.push({ label: `${s.variant} live AUC`, stroke: colour, width: 2, spanGaps: true, points: { show: true, size: 7, fill: colour } });
      data.push(starts.map(() => s.validation.auc ?? null));
      series.push({ label: `${s.variant} validation AUC`, stroke: colour, dash: [6, 4], width: 1 });
      if (!s.estimate?.available) return;
      const est = starts.map((t) => byStart.get(t)?.estimated_auc ?? null);
      data.push(est.map((b) => b?.value ?? null), est.map((b) => b?.high ?? null), est.map((b) => b?.low ?? null));
      series.push(
        { label: `${s.variant} est. AUC`, stroke: colour, dash: [2, 3], width: 1.5, spanGaps: true },
        { label: `${s.variant} est. 95% high`, stroke: 'transparent', width: 0, spanGaps: true, points: { show: false } },
        { label: `${s.variant} est. 95% low`, stroke: 'transparent', width: 0, spanGaps: true, points: { show: false } },
      );
      bands.push({ series: [series.length - 2, series.length - 1], fill: `${colour}33` });
    });
    const rows = perf.series.flatMap((s) =>
      s.buckets.map((b) => [`${s.variant} (v${s.version}) ${fmt.time(b.window_start)}`, b.predictions, b.labels, fmt.num(b.auc), fmt.num(s.validation.auc), estimatedAuc(s, b)]),
    );
    const scales: uPlot.Scales = { x: { time: true, range: [Date.parse(perf.from) / 1000, Date.parse(perf.to) / 1000] }, y: { range: [0.4, 1] } };
    const columns = ['variant and bucket', 'predictions', 'labels', 'live AUC', 'validation AUC', 'estimated AUC (95% band)'];
    return { data: data as uPlot.AlignedData, series, bands, scales, table: { columns, rows } };
  }, [perf]);
  if (!perf.series.length) return <p>No predictions in this range.</p>;
  return (
    <>
      <Chart title={`Live AUC against validation AUC and estimated AUC, ${perf.bucket_seconds / 60}-minute buckets`} data={view.data} series={view.series} scales={view.scales} bands={view.bands} table={view.table} />
      <table class="list">
        <caption>Per variant over the whole range</caption>
        <thead>
          <tr>
            <th scope="col">Variant</th>
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
              <th scope="row">
                {s.variant} (v{s.version})
              </th>
              <td>{s.window.predictions}</td>
              <td>{s.window.labels}</td>
              <td>{fmt.num(s.window.auc)}</td>
              <td>{fmt.num(s.validation.auc)}</td>
              <td>{estimatedAuc(s, s.window)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {perf.comparisons.length > 0 && (
        <table class="list">
          <caption>DeLong's test of the AUC difference between variants</caption>
          <thead>
            <tr>
              <th scope="col">Variants</th>
              <th scope="col">AUC a</th>
              <th scope="col">AUC b</th>
              <th scope="col">Difference</th>
              <th scope="col">p-value</th>
            </tr>
          </thead>
          <tbody>
            {perf.comparisons.map((c) => (
              <tr key={`${c.a.variant}-${c.b.variant}`}>
                <th scope="row">
                  {c.a.variant} ({c.a.labels} labels) vs {c.b.variant} ({c.b.labels} labels)
                </th>
                <td>{fmt.num(c.auc_a)}</td>
                <td>{fmt.num(c.auc_b)}</td>
                <td>{fmt.num(c.difference)}</td>
                <td>{c.p_value === null ? (c.reason ?? '—') : fmt.p(c.p_value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
