// Scores the loan fixture's validation rows with the fixture model through
// onnxruntime (Python here has no onnxruntime), for make_cbpe_reference.py:
//
//     node test/reference/score_loan_valid.mjs > test/reference/loan_valid_scores.json
//
// The scores are onnxruntime's float32 probabilities of class 1, as the
// service computes them at upload; the test checks it gets the same ones.
import fs from 'node:fs';
import ort from 'onnxruntime-node';

const names = JSON.parse(fs.readFileSync('test/fixtures/loan_default_xgb.expected.json', 'utf8')).feature_names;
const [header, ...lines] = fs.readFileSync('test/fixtures/loan_default_xgb.valid.csv', 'utf8').trim().split('\n');
const cols = header.split(',');
const at = names.map((n) => cols.indexOf(n));
const x = new Float32Array(lines.length * names.length);
lines.forEach((line, r) => {
  const v = line.split(',');
  at.forEach((c, f) => (x[r * names.length + f] = Number(v[c])));
});
const session = await ort.InferenceSession.create('test/fixtures/loan_default_xgb.onnx');
const out = await session.run({ input: new ort.Tensor('float32', x, [lines.length, names.length]) });
const p = out.probabilities.data;
const p1 = Array.from({ length: lines.length }, (_, r) => p[r * 2 + 1]);
process.stdout.write(JSON.stringify({ source: 'loan_default_xgb.valid.csv scored by loan_default_xgb.onnx (onnxruntime, float32)', p1 }) + '\n');
