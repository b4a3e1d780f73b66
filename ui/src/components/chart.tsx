import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartTable {
  columns: string[];
  rows: (string | number)[][];
}

export interface ChartProps {
  /** Names the figure for everyone and the table for screen readers. */
  title: string;
  data: uPlot.AlignedData;
  series: uPlot.Series[];
  axes?: uPlot.Axis[];
  scales?: uPlot.Scales;
  /** Areas filled between two series (their indexes), such as an estimate's band. */
  bands?: uPlot.Band[];
  height?: number;
  /** The same numbers as a table: the chart's canvas is hidden from assistive technology, the table is what it reads. */
  table: ChartTable;
}

/** A uPlot chart sized to its container, with its data table behind it for screen readers. */
export function Chart({ title, data, series, axes, scales, bands, height = 220, table }: ChartProps) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const plot = new uPlot({ width: Math.max(el.clientWidth, 280), height, series, axes, scales, bands, legend: { show: true, live: false } }, data, el);
    const observer = new ResizeObserver(() => plot.setSize({ width: Math.max(el.clientWidth, 280), height }));
    observer.observe(el);
    return () => {
      observer.disconnect();
      plot.destroy();
    };
  }, [data, series, axes, scales, bands, height]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      <div ref={box} aria-hidden="true" />
      <DataTable caption={title} table={table} hidden />
    </figure>
  );
}

export function DataTable({ caption, table, hidden }: { caption: string; table: ChartTable; hidden?: boolean }) {
  return (
    <table class={hidden ? 'sr-only' : undefined}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          {table.columns.map((c) => (
            <th scope="col" key={c}>
              {c}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {table.rows.map((r, i) => (
          <tr key={i}>
            {r.map((v, j) => (j === 0 ? <th scope="row" key={j}>{v}</th> : <td key={j}>{v}</td>))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
