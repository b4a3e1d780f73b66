// Binary FP32 infer (the binary tensor data extension, as tritonclient.http
// sends a numpy array: no Content-Type, Inference-Header-Content-Length)
// against JSON infer, batch 1, same server, interleaved rounds.
// Bar: binary at least as fast as JSON. `node bench/standalone/v2-binary.mjs`
// after `npm run build`; BENCH_QUICK=1 for a smoke run.
import { compare, firstRow, log, MODEL, request, stopModelgate, startModelgate } from './oip-harness.mjs';
import { v2BinaryRequest, v2BinaryScore } from '../lib/workload.mjs';

const mg = await startModelgate();
const { row, p1 } = firstRow();
const url = `/v2/models/${MODEL}/infer`;

const jsonBody = Buffer.from(JSON.stringify({ inputs: [{ name: 'input', shape: [1, row.length], datatype: 'FP32', data: row }] }));
const jsonHeaders = { ...mg.auth, 'content-type': 'application/json' };

// The same binary request `npm run bench` sends in scenario 1 (bench/lib/workload.mjs).
const bin = v2BinaryRequest(row);
const binBody = bin.body;
const binHeaders = { ...mg.auth, ...bin.headers };

// Both kinds must answer, and answer right, before any load.
const j = await request(mg.base, 'POST', url, { headers: jsonHeaders, body: jsonBody });
const jp = JSON.parse(j.body.toString()).outputs.find((o) => o.name === 'probabilities').data[1];
const b = await request(mg.base, 'POST', url, { headers: binHeaders, body: binBody });
const bp = v2BinaryScore(Number(b.headers['inference-header-content-length']), b.body);
for (const [what, p] of [['JSON', jp], ['binary', bp]]) if (!(Math.abs(p - p1) < 1e-5)) throw new Error(`${what} infer scored ${p}, expected ${p1}`);
log('both request kinds answer the fixture probability to 1e-5');

const ok = (r) => {
  if (r.status !== 200) throw new Error(String(r.status));
};
const doc = await compare({
  scenario: 'v2-binary',
  describe: 'POST /v2/models/bc/infer, FP32 [1, 30]: JSON body vs binary tensor data',
  a: { label: 'json', send: async () => ok(await request(mg.base, 'POST', url, { headers: jsonHeaders, body: jsonBody })) },
  b: { label: 'binary', send: async () => ok(await request(mg.base, 'POST', url, { headers: binHeaders, body: binBody })) },
  bar: 1.0,
});
await stopModelgate();
process.exit(doc.passed || process.env.BENCH_STRICT !== '1' ? 0 : 1);
