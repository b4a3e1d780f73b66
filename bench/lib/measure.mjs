// One measured run of a server (a closed-loop peak or an open-loop fixed
// rate), retried while other processes crowd the machine, and the per-label
// summary the report reads.
import { MODEL, S } from './settings.mjs';
import { fmtInt, log } from './log.mjs';
import { waitForQuiet } from './cpu.mjs';
import { runLoad } from './load.mjs';
import { metricsDelta, scrape } from './metrics.mjs';

/** Every run of the bench, in order; the JSON results keep them all. */
export const measurements = [];
let retriesLeft = S.retries;

/**
 * Runs one measurement; while other processes took more than noisyCpuPct of
 * a core during it and retries are left, runs it again. Every run is kept;
 * the report takes the best (see combine()).
 */
async function measure(fn) {
  let m = await fn();
  while (m.cpu && m.cpu.others_pct > S.noisyCpuPct && retriesLeft > 0) {
    retriesLeft--;
    m.noisy = true;
    log(`  other processes took ${m.cpu.others_pct}% of a core during ${m.label}: measuring again (${retriesLeft} retries left)`);
    m = await fn();
  }
  if (m.cpu && m.cpu.others_pct > S.noisyCpuPct) m.noisy = true;
  return m;
}

/**
 * `target`: `v1` (predict), `v2` (infer, JSON), `v2bin` (infer, binary tensor data) on Modelgate; `bare` (POST /) on an anchor;
 * or `{ path, bodies }`: a path of the server and the bodies file to send it (the features scenario's models).
 */
export const targetUrl = (server, target) => `${server.base}${typeof target === 'object' ? target.path : target === 'v2' || target === 'v2bin' ? `/v2/models/${MODEL}/infer` : target === 'v1' ? `/v1/models/${MODEL}/predict` : '/'}`;
/** The bodies file of `target`: the anchors read /v1's body. */
export const bodiesOf = (h, target) => (typeof target === 'object' ? target.bodies : target === 'v2' ? h.work.files.v2 : target === 'v2bin' ? h.work.files.v2bin : h.work.files.v1);
export const authOf = (server) => (server.kind === 'modelgate' ? server.headers.authorization.slice('Bearer '.length) : undefined);

async function peakOnce(h, server, target, label, tool = S.loadgen) {
  const url = targetUrl(server, target);
  const bodiesFile = bodiesOf(h, target);
  const auth = authOf(server);
  log(`${label}: warm-up ${S.warmupS}s`);
  if (S.warmupS > 0) await runLoad(tool, { url, bodiesFile, auth, seconds: S.warmupS }, server.rec.pid);
  const quiet = await waitForQuiet(server.rec.pid);
  const before = await scrape(server);
  log(`${label}: measuring ${S.durationS}s at ${S.connections} connections (${tool})`);
  const r = await runLoad(tool, { url, bodiesFile, auth, seconds: S.durationS }, server.rec.pid);
  const after = await scrape(server);
  const m = { label, server: server.name, target, url: url.replace(server.base, ''), kind: 'peak', ...r, others_before_pct: quiet, modelgate: metricsDelta(before, after) };
  log(`${label}: ${fmtInt(m.rps)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms${m.non2xx || m.errors ? `, non-2xx ${m.non2xx}, errors ${m.errors}` : ''}${m.cpu ? `, cpu server ${m.cpu.server_pct}% load ${m.cpu.loadgen_pct}% others ${m.cpu.others_pct}%` : ''}${m.modelgate?.mean_rows_per_inference ? `, rows/inference ${m.modelgate.mean_rows_per_inference}` : ''}${m.modelgate?.feature_reads ? `, store reads ${m.modelgate.feature_reads} (mean ${m.modelgate.mean_feature_read_ms} ms)` : ''}`);
  measurements.push(m);
  return m;
}

/**
 * A fixed-rate run. `during(server)`, if given, starts when the load does and
 * is awaited after it (the upload scenario uploads there); its result lands
 * in the measurement as `during`.
 */
async function pacedOnce(h, server, target, label, rate, { during } = {}) {
  const url = targetUrl(server, target);
  const auth = authOf(server);
  const quiet = await waitForQuiet(server.rec.pid);
  const before = await scrape(server);
  log(`${label}: ${fmtInt(rate)} req/s fixed rate, warm-up ${S.warmupS}s + ${S.durationS}s measured`);
  const load = runLoad('paced', { url, bodiesFile: bodiesOf(h, target), auth, seconds: S.durationS, warmupS: S.warmupS, rate }, server.rec.pid);
  const side = during ? during(server) : null;
  const [r, sideResult] = await Promise.all([load, side]);
  const after = await scrape(server);
  const m = { label, server: server.name, target, url: url.replace(server.base, ''), kind: 'paced', ...r, others_before_pct: quiet, modelgate: metricsDelta(before, after) };
  if (during) m.during = sideResult;
  const worst = Math.max(...r.raw.timeline.map((t) => t.max_ms ?? 0));
  log(`${label}: ${fmtInt(m.rps)} req/s of ${fmtInt(rate)}, p50 ${m.p50} ms, p99 ${m.p99} ms, max backlog ${r.raw.max_backlog}, worst latency ${worst} ms${m.unfinished ? `, ${m.unfinished} unfinished at the end` : ''}${m.non2xx || m.errors ? `, non-2xx ${m.non2xx}, errors ${m.errors}` : ''}${m.cpu ? `, others ${m.cpu.others_pct}%` : ''}`);
  measurements.push(m);
  return m;
}

export const peak = (...a) => measure(() => peakOnce(...a));
export const paced = (...a) => measure(() => pacedOnce(...a));

const median = (xs) => {
  const v = xs.filter((x) => typeof x === 'number').sort((a, b) => a - b);
  if (!v.length) return null;
  const mid = v.length / 2;
  return v.length % 2 ? v[Math.floor(mid)] : (v[mid - 1] + v[mid]) / 2;
};
const round3 = (x) => (x === null ? null : Math.round(x * 1000) / 1000);

/**
 * One row per label from all its runs (rounds, retries): the median of the
 * runs that had the machine to themselves (others below noisyCpuPct); when
 * every run shared it, the best run (others only slow a run down), flagged
 * noisy. Errors and non-2xx answers of every run are counted.
 */
export function combine(label) {
  const ms = measurements.filter((m) => m.label === label);
  if (!ms.length) return null;
  const quiet = ms.filter((m) => !m.noisy);
  const pool = quiet.length ? quiet : [ms.reduce((a, m) => (m.kind === 'paced' ? (m.p99 < a.p99 ? m : a) : m.rps > a.rps ? m : a))];
  const med = (f) => round3(median(pool.map(f)));
  const rpsAll = pool.map((m) => m.rps);
  return {
    label,
    runs: ms.length,
    rps: med((m) => m.rps),
    rps_each: ms.map((m) => m.rps),
    p99_each: ms.map((m) => m.p99),
    spread_pct: pool.length > 1 ? Math.round(((Math.max(...rpsAll) - Math.min(...rpsAll)) / median(rpsAll)) * 1000) / 10 : null,
    p50: med((m) => m.p50),
    p99: med((m) => m.p99),
    non2xx: ms.reduce((a, m) => a + (m.non2xx ?? 0), 0),
    errors: ms.reduce((a, m) => a + (m.errors ?? 0), 0),
    others_pct: median(pool.map((m) => m.cpu?.others_pct)),
    noisy: quiet.length === 0,
    /** Runs that had the machine to themselves: what the median is of. */
    quiet_runs: quiet.length,
    rows_per_inference: med((m) => m.modelgate?.mean_rows_per_inference),
    target_rate: ms[0].target_rate,
    unfinished: med((m) => m.unfinished),
  };
}

/** `pct` % of the best peak measured under `label` so far: the rate of a fixed-rate run. */
export const rateFor = (label, pct = S.ratePct) => Math.max(1, Math.round((combine(label).rps * pct) / 100));
