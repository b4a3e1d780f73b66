// What the anchors of `npm run bench` share (bench/bare-server.mjs and
// bench/fastify-server.mjs): the onnxruntime-node session with Modelgate's
// options, the feature read of Modelgate's /v1 body
// ({"instances": [{...named features...}]}) into a Float32Array in the model's
// feature order, the answer ({"predictions": [{"label", "score"}]}) and the
// two ways of running it:
//
// - one onnxruntime `run()` per request (the plain anchor);
// - same-turn micro-batching (BATCH=1): the requests whose bodies complete in
//   one event-loop turn are gathered in an array and flushed with
//   setImmediate, i.e. after the I/O (poll) phase that read them, as one
//   `run()` of N rows; each request is answered with its own rows. No timer,
//   no size cap: the limit of this stack without waiting.
//
// `stats` counts runs, rows and requests for the bench's rows-per-inference
// column (the anchors answer it on GET /metrics as JSON).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ort from 'onnxruntime-node';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The model and its feature order (the CSV header without its label column: the training order). */
export async function openModel(env = process.env) {
  const modelPath = env.MODEL ?? path.join(root, 'test/fixtures/breast_cancer_xgb.onnx');
  const csvPath = env.FEATURES_CSV ?? modelPath.replace(/\.onnx$/, '.test.csv');
  const header = readFileSync(csvPath, 'utf8').split('\n', 1)[0].trim().split(',');
  const features = header.filter((h) => h !== (env.LABEL_COLUMN ?? 'label'));
  const session = await ort.InferenceSession.create(modelPath, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  return {
    session,
    features,
    width: features.length,
    inputName: session.inputNames[0],
    probaName: session.outputNames.find((n) => /prob/i.test(n)) ?? session.outputNames[session.outputNames.length - 1],
    labelName: session.outputNames.find((n) => /label/i.test(n)),
  };
}

/** The rows of a parsed /v1 body as { n, data }, or a message saying why not. */
export function rowsOf(body, model) {
  const instances = body?.instances;
  if (!Array.isArray(instances) || instances.length === 0) return '"instances" must be a non-empty array';
  const { features, width } = model;
  const n = instances.length;
  const data = new Float32Array(n * width);
  for (let i = 0; i < n; i++) {
    const row = instances[i];
    if (row === null || typeof row !== 'object') return `instances[${i}] must be an object`;
    for (let j = 0; j < width; j++) {
      const v = row[features[j]];
      if (typeof v === 'number') data[i * width + j] = v;
      else if (v === null || v === undefined) data[i * width + j] = NaN;
      else return `instances[${i}].${features[j]} must be a number`;
    }
  }
  return { n, data };
}

/** The JSON answer for rows [from, from + n) of a run's outputs. */
function answerOf(model, out, from, n) {
  const proba = out[model.probaName].data;
  const labels = model.labelName ? out[model.labelName].data : undefined;
  const predictions = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = from + i;
    predictions[i] = { label: labels ? Number(labels[k]) : undefined, score: proba[k * 2 + 1] };
  }
  return JSON.stringify({ predictions });
}

/**
 * `infer(rows, done)` calls `done(err, answerJson)` once per request; with
 * `batching`, the requests of one event-loop turn share one run.
 */
export function createInfer(model, { batching = false } = {}) {
  const { session, inputName, width } = model;
  const stats = { runs: 0, rows: 0, requests: 0, errors: 0 };
  const run = (n, data) => {
    stats.runs++;
    stats.rows += n;
    return session.run({ [inputName]: new ort.Tensor('float32', data, [n, width]) });
  };

  if (!batching) {
    const infer = (rows, done) => {
      stats.requests++;
      run(rows.n, rows.data).then(
        (out) => done(null, answerOf(model, out, 0, rows.n)),
        (err) => {
          stats.errors++;
          done(err);
        },
      );
    };
    return { infer, stats };
  }

  let pending = [];
  const flush = () => {
    const calls = pending;
    pending = [];
    let total = 0;
    for (const c of calls) total += c.rows.n;
    let data = calls[0].rows.data;
    if (calls.length > 1) {
      data = new Float32Array(total * width);
      let at = 0;
      for (const c of calls) {
        data.set(c.rows.data, at * width);
        c.from = at;
        at += c.rows.n;
      }
    } else calls[0].from = 0;
    run(total, data).then(
      (out) => {
        for (const c of calls) c.done(null, answerOf(model, out, c.from, c.rows.n));
      },
      (err) => {
        stats.errors += calls.length;
        for (const c of calls) c.done(err);
      },
    );
  };
  const infer = (rows, done) => {
    stats.requests++;
    if (pending.push({ rows, done, from: 0 }) === 1) setImmediate(flush);
  };
  return { infer, stats };
}
