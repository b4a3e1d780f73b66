// The request bodies every serving scenario sends: real rows of the fixture's test CSV.
import fs from 'node:fs';
import path from 'node:path';
import { CSV_FILE, EXPECTED_FILE, S } from './settings.mjs';
import { BenchError } from './log.mjs';
import { binaryLine } from './bodies.mjs';

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
  const v2bin = rows.map((r) => v2BinaryRequest(r.values));
  const files = { v1: path.join(dir, 'bodies-v1.txt'), v2: path.join(dir, 'bodies-v2.txt'), v2bin: path.join(dir, 'bodies-v2-binary.txt') };
  fs.writeFileSync(files.v1, v1.join('\n') + '\n');
  fs.writeFileSync(files.v2, v2.join('\n') + '\n');
  fs.writeFileSync(files.v2bin, v2bin.map((b) => binaryLine(b.headers, b.body)).join('\n') + '\n');
  return { dir, features, rows, files, v1Bodies: v1.map((b) => JSON.parse(b)), first: { v1: JSON.parse(v1[0]), v2: JSON.parse(v2[0]), v2bin: v2bin[0], p1: rows[0].p1 } };
}

/**
 * A V2 infer request with binary tensor data, as tritonclient.http sends a
 * numpy array: a JSON header of Inference-Header-Content-Length bytes, then
 * the FP32 row; no Content-Type; outputs asked for as binary too.
 */
export function v2BinaryRequest(values) {
  const raw = Buffer.from(new Float32Array(values).buffer);
  const head = JSON.stringify({ inputs: [{ name: 'input', shape: [1, values.length], datatype: 'FP32', parameters: { binary_data_size: raw.length } }], parameters: { binary_data_output: true } });
  return { headers: { 'inference-header-content-length': String(Buffer.byteLength(head)) }, body: Buffer.concat([Buffer.from(head), raw]) };
}

/** The probability of class 1 in a binary V2 answer (its JSON header, then each output's bytes). */
export function v2BinaryScore(headerLength, body) {
  const outs = JSON.parse(body.toString('utf8', 0, headerLength)).outputs;
  let at = headerLength;
  for (const o of outs) {
    if (o.name === 'probabilities') return body.readFloatLE(at + 4);
    at += o.parameters.binary_data_size;
  }
  return undefined;
}
