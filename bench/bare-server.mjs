// The honest baseline for `npm run bench`: a bare node:http server that does
// what a predict route must do and nothing else. It reads the same JSON body
// as Modelgate's /v1 route ({"instances": [{...named features...}]}), builds
// the Float32Array in the model's feature order, calls onnxruntime-node
// directly (one run per request, no batching) and answers JSON with the score.
//
//   PORT=9000 MODEL=test/fixtures/breast_cancer_xgb.onnx node bench/bare-server.mjs
//
// GET answers 200 (readiness probe). Prints "listening <port>" once ready.
import http from 'node:http';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const modelPath = process.env.MODEL ?? path.join(root, 'test/fixtures/breast_cancer_xgb.onnx');
const csvPath = process.env.FEATURES_CSV ?? modelPath.replace(/\.onnx$/, '.test.csv');
const port = Number(process.env.PORT ?? 9000);
const host = process.env.HOST ?? '127.0.0.1';

// Feature order: the CSV header without its label column (the model's training order).
const header = readFileSync(csvPath, 'utf8').split('\n', 1)[0].trim().split(',');
const features = header.filter((h) => h !== (process.env.LABEL_COLUMN ?? 'label'));
const width = features.length;

const session = await ort.InferenceSession.create(modelPath, {
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
});
const inputName = session.inputNames[0];
const probaName = session.outputNames.find((n) => /prob/i.test(n)) ?? session.outputNames[session.outputNames.length - 1];
const labelName = session.outputNames.find((n) => /label/i.test(n));

function fail(res, status, message) {
  const body = JSON.stringify({ error: { code: 'BAD_REQUEST', message } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

async function predict(raw, res) {
  let body;
  try {
    body = JSON.parse(raw);
  } catch {
    return fail(res, 400, 'invalid JSON');
  }
  const instances = body?.instances;
  if (!Array.isArray(instances) || instances.length === 0) return fail(res, 400, '"instances" must be a non-empty array');
  const n = instances.length;
  const data = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    const row = instances[i];
    if (row === null || typeof row !== 'object') return fail(res, 400, `instances[${i}] must be an object`);
    for (let j = 0; j < width; j++) {
      const v = row[features[j]];
      if (typeof v === 'number') data[i * width + j] = v;
      else if (v === null || v === undefined) data[i * width + j] = NaN;
      else return fail(res, 400, `instances[${i}].${features[j]} must be a number`);
    }
  }
  const out = await session.run({ [inputName]: new ort.Tensor('float32', data, [n, width]) });
  const proba = out[probaName].data;
  const labels = labelName ? out[labelName].data : undefined;
  const predictions = new Array(n);
  for (let i = 0; i < n; i++) {
    predictions[i] = { label: labels ? Number(labels[i]) : undefined, score: proba[i * 2 + 1] };
  }
  const answer = JSON.stringify({ predictions });
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
  res.end(answer);
}

const server = http.createServer((req, res) => {
  if (req.method !== 'POST') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"status":"ok"}');
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    predict(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8'), res).catch((err) => {
      fail(res, 500, String(err?.message ?? err));
    });
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, host, () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    server.closeAllConnections?.();
    process.exit(0);
  });
}
