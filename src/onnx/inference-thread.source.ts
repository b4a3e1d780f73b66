/**
 * The program of one inference thread, as source text: a worker started
 * with `eval` runs the same text under `node dist/main.js` and under Vitest
 * (which cannot hand a TypeScript file to a worker). It holds onnxruntime
 * sessions by handle and answers one message per request, in order:
 *
 *   { op: 'load', id, path, options }  -> { id, ok, value: { handle, inputMetadata, outputMetadata } }
 *   { op: 'run', id, handle, feeds }   -> { id, ok, value: { [output]: { type, data, dims } } }
 *   { op: 'release', id, handle }      -> { id, ok }
 *
 * A failure answers `{ id, ok: false, message }`. Feeds and outputs travel
 * as `{ type, data, dims }`; numeric output buffers are transferred, not
 * copied. `workerData.ort` is the resolved path of onnxruntime-node.
 */
export const INFERENCE_THREAD_SOURCE = `
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const ort = require(workerData.ort);
const sessions = new Map();
let nextHandle = 1;
const answer = (id, value, transfer) => parentPort.postMessage({ id, ok: true, value }, transfer);
const refuse = (id, err) => parentPort.postMessage({ id, ok: false, message: String((err && err.message) || err) });
const run = (m) => {
  const session = sessions.get(m.handle);
  if (session === undefined) return refuse(m.id, new Error('no such session in this inference thread'));
  const feeds = {};
  for (const name in m.feeds) {
    const f = m.feeds[name];
    feeds[name] = new ort.Tensor(f.type, f.data, f.dims);
  }
  session.run(feeds).then((out) => {
    const value = {};
    const transfer = [];
    for (const name in out) {
      const t = out[name];
      value[name] = { type: t.type, data: t.data, dims: t.dims };
      const buffer = t.data && t.data.buffer;
      if (buffer instanceof ArrayBuffer && !transfer.includes(buffer)) transfer.push(buffer);
    }
    answer(m.id, value, transfer);
  }, (err) => refuse(m.id, err));
};
parentPort.on('message', (m) => {
  try {
    if (m.op === 'run') return run(m);
    if (m.op === 'load') {
      return ort.InferenceSession.create(m.path, m.options).then((session) => {
        const handle = nextHandle++;
        sessions.set(handle, session);
        answer(m.id, { handle, inputMetadata: session.inputMetadata, outputMetadata: session.outputMetadata });
      }, (err) => refuse(m.id, err));
    }
    if (m.op === 'release') {
      const session = sessions.get(m.handle);
      sessions.delete(m.handle);
      return Promise.resolve(session && session.release()).then(() => answer(m.id), (err) => refuse(m.id, err));
    }
    refuse(m.id, new Error('unknown operation ' + m.op));
  } catch (err) {
    refuse(m.id, err);
  }
});
`;
