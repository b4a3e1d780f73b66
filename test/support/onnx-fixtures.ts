import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
export const fixturePath = (name: string) => path.join(FIXTURES, name);

/** A fixture CSV as a row-major Float64Array of its feature columns (empty cells are NaN) and its label column. */
export function readFixtureCsv(name: string, labelColumn = 'label'): { header: string[]; rows: number; width: number; data: Float64Array; labels: number[] } {
  const lines = fs.readFileSync(fixturePath(name), 'utf8').trim().split('\n');
  const cols = lines[0].split(',');
  const labelAt = cols.indexOf(labelColumn);
  const header = cols.filter((_, i) => i !== labelAt);
  const rows = lines.length - 1;
  const width = header.length;
  const data = new Float64Array(rows * width);
  const labels: number[] = [];
  for (let r = 0; r < rows; r++) {
    const cells = lines[r + 1].split(',');
    let f = 0;
    for (let c = 0; c < cells.length; c++) {
      const v = cells[c] === '' ? NaN : Number(cells[c]);
      if (c === labelAt) labels.push(v);
      else data[r * width + f++] = v;
    }
  }
  return { header, rows, width, data, labels };
}

export function readExpected(name: string): { p1: number[]; feature_names?: string[] } {
  return JSON.parse(fs.readFileSync(fixturePath(name), 'utf8'));
}
