// The request bodies every serving scenario sends: real rows of the fixture's test CSV.
import fs from 'node:fs';
import path from 'node:path';
import { CSV_FILE, EXPECTED_FILE, S } from './settings.mjs';
import { BenchError } from './log.mjs';

export function prepareWorkload(dir) {
  const lines = fs.readFileSync(CSV_FILE, 'utf8').trim().split('\n');
  const header = lines[0].trim().split(',');
  const labelIdx = header.indexOf('label');
  const features = header.filter((_, i) => i !== labelIdx);
  const expected = JSON.parse(fs.readFileSync(EXPECTED_FILE, 'utf8'));
  const rows = [];
  for (let i = 1; i < lines.length && rows.length < S.rows; i++) {
    const cells = lines[i].trim().split(',').map(Number);
    const values = cells.filter((_, j) => j !== labelIdx);
    if (values.length !== features.length || values.some((v) => !Number.isFinite(v))) continue;
    rows.push({ index: i - 1, values, p1: expected.p1?.[i - 1] });
  }
  if (rows.length === 0) throw new BenchError(`no usable rows in ${CSV_FILE}`);
  const v1 = rows.map((r) => JSON.stringify({ instances: [Object.fromEntries(features.map((f, j) => [f, r.values[j]]))] }));
  const v2 = rows.map((r) => JSON.stringify({ inputs: [{ name: 'input', shape: [1, features.length], datatype: 'FP32', data: r.values }] }));
  const files = { v1: path.join(dir, 'bodies-v1.txt'), v2: path.join(dir, 'bodies-v2.txt') };
  fs.writeFileSync(files.v1, v1.join('\n') + '\n');
  fs.writeFileSync(files.v2, v2.join('\n') + '\n');
  return { dir, features, rows, files, first: { v1: JSON.parse(v1[0]), v2: JSON.parse(v2[0]), p1: rows[0].p1 } };
}
