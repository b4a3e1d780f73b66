/** Plain-text tables for humans; `--json` bypasses them. Pure, unit-tested beside this file. */

export type Cell = string | number | boolean | null | undefined | object;

export function cellText(v: Cell): string {
  if (v === null || v === undefined) return '-';
  if (typeof v === 'object') return Array.isArray(v) ? v.map((x) => cellText(x as Cell)).join(',') : Object.entries(v).map(([k, x]) => `${k}=${cellText(x as Cell)}`).join(',');
  return String(v);
}

/** Columns padded to their widest cell, a header row first. */
export function table(headers: string[], rows: Cell[][]): string {
  const text = rows.map((r) => r.map(cellText));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(headers.map((h) => h.toUpperCase())), ...text.map(line)].join('\n');
}

/** One `key  value` line per field of an object. */
export function keyValues(obj: Record<string, Cell>): string {
  const keys = Object.keys(obj);
  const w = Math.max(0, ...keys.map((k) => k.length));
  return keys.map((k) => `${k.padEnd(w)}  ${cellText(obj[k])}`).join('\n');
}
