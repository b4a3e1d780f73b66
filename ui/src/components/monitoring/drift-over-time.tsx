import { useMemo } from 'preact/hooks';
import type uPlot from 'uplot';
import type { DriftCheck, FeatureDrift } from '../../api/types.js';
import { Chart } from '../chart.js';
import { fmt } from '../status.js';
import { statistic } from './feature-drift.js';

const LINE = '#1f5fa8';
const FLAG = '#b00020';

/**
 * A feature's drift statistic per window, oldest first, with the windows it
 * was judged drifted marked; `pick` reads the feature (or the score) from a check.
 */
export function DriftOverTime({ title, checks, pick }: { title: string; checks: DriftCheck[]; pick: (c: DriftCheck) => FeatureDrift | null | undefined }) {
  const view = useMemo(() => {
    const points = [...checks]
      .reverse()
      // A window too small to judge (min_samples) has statistics that mean little: left out.
      .filter((c) => c.judged)
      .map((c) => ({ c, f: pick(c) }))
      .filter((p): p is { c: DriftCheck; f: FeatureDrift } => !!p.f);
    const name = points[0] ? statistic(points[0].f).name : 'statistic';
    const xs = points.map((p) => Date.parse(p.c.window_start) / 1000);
    const ys = points.map((p) => statistic(p.f).value);
    const flagged = points.map((p) => (p.f.drifted ? statistic(p.f).value : null));
    const data: uPlot.AlignedData = [xs, ys, flagged];
    const series: uPlot.Series[] = [
      {},
      { label: name, stroke: LINE, width: 2 },
      { label: 'drifted window', stroke: FLAG, width: 0, points: { show: true, size: 9, fill: FLAG } },
    ];
    const table = {
      columns: ['window start', name, 'drifted'],
      rows: points.map((p) => [fmt.time(p.c.window_start), fmt.num(statistic(p.f).value), p.f.drifted ? 'yes' : 'no']),
    };
    return { data, series, table, empty: points.length === 0 };
  }, [checks, pick]);
  if (view.empty) return <p>No judged windows in this range.</p>;
  return <Chart title={title} data={view.data} series={view.series} table={view.table} />;
}
