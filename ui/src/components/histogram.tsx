import { useMemo } from 'preact/hooks';
import uPlot from 'uplot';
import type { FeatureSketch } from '../api/types.js';
import { binsOf } from './bins.js';
import { Chart } from './chart.js';

export const BASELINE_COLOUR = '#1f5fa8';
export const LIVE_COLOUR = '#b34700';

/** Baseline against live as grouped bars of shares, with the table of both. */
export function Histogram({ title, sketch, live, height = 180 }: { title: string; sketch: FeatureSketch; live?: number[] | Record<string, number>; height?: number }) {
  const bins = useMemo(() => binsOf(sketch, live), [sketch, live]);
  const { data, series, axes, scales, table } = useMemo(() => {
    const xs = bins.labels.map((_, i) => i);
    const bars = (align: -1 | 1 | 0) => uPlot.paths.bars!({ size: [bins.live ? 0.4 : 0.7, 40], align });
    const series: uPlot.Series[] = [
      {},
      { label: 'baseline', stroke: BASELINE_COLOUR, fill: `${BASELINE_COLOUR}cc`, paths: bars(bins.live ? -1 : 0), points: { show: false } },
    ];
    const data: uPlot.AlignedData = bins.live ? [xs, bins.baseline, bins.live] : [xs, bins.baseline];
    if (bins.live) series.push({ label: 'live window', stroke: LIVE_COLOUR, fill: `${LIVE_COLOUR}cc`, paths: bars(1), points: { show: false } });
    // A label per bin overlaps on a narrow chart: at most six, and a numeric bin by its lower edge; the table has them all.
    const every = Math.ceil(xs.length / 6);
    const tick = (i: number) => (sketch.type === 'numeric' && i > 0 && i < xs.length - 1 ? bins.labels[i].split('–')[0] : bins.labels[i]);
    const axes: uPlot.Axis[] = [
      { values: (_u, ticks) => ticks.map((t) => (t % every === 0 ? (tick(t) ?? '') : '')), splits: () => xs, size: 30, font: '11px system-ui, sans-serif' },
      { values: (_u, ticks) => ticks.map((t) => `${Math.round(t * 100)}%`), size: 50 },
    ];
    const table = {
      columns: bins.live ? ['bin', 'baseline share', 'live share'] : ['bin', 'baseline share'],
      rows: bins.labels.map((l, i) => [l, pct(bins.baseline[i]), ...(bins.live ? [pct(bins.live[i])] : [])]),
    };
    const scales: uPlot.Scales = { x: { time: false, range: [-0.6, bins.labels.length - 0.4] } };
    return { data, series, axes, scales, table };
  }, [bins]);
  return <Chart title={title} data={data} series={series} axes={axes} scales={scales} height={height} table={table} />;
}

const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
