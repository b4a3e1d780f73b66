// Summarises a V8 .cpuprofile (node --cpu-prof) by phase of the performance
// read: each sample is charged to the first phase found walking from the
// running function towards the root, so a sort called from the figures is a
// sort. Samples are limited to [fromUs, toUs] on the monotonic clock the
// profile uses (process.hrtime in another process on Linux), so only the
// timed queries count; a phase's ms are divided by the queries in the window.
//
//   node bench/standalone/cpu-profile-phases.mjs FILE.cpuprofile [fromUs toUs queries]
import fs from 'node:fs';

/** [phase, test on a call frame]; first match from the leaf wins, except `background`, which wins from anywhere in the stack. */
const PHASES = [
  ['pg: bytea hex decode', (f) => /postgres-bytea|byteA/i.test(f.url + f.functionName)],
  ['pg: protocol and row parsing', (f) => /pg-protocol|\/pg\/lib\/|pg-types|postgres-array|postgres-date/.test(f.url)],
  ['score lists: read chunks (ScoreList.add)', (f) => /label-deltas/.test(f.url) && /^(add|reserve|widen)$/.test(f.functionName)],
  ['COPY: stream, copy and parse', (f) => /copy-to|obuf|binary-copy/.test(f.url) || (/bucket-store/.test(f.url) && /^$|copy/i.test(f.functionName))],
  ['keys: packed scores to sortable keys (exactAucs, toKeys)', (f) => /exact-auc/.test(f.url) && /^(exactAucs|toKeys|float32Count)$/.test(f.functionName)],
  ['radix sort', (f) => /sortFloat32Bits|sortKeysWithTags|radix/i.test(f.functionName)],
  ['groups of tied scores', (f) => /groupsOfSorted|groupsAndAucs|groupsOf/i.test(f.functionName)],
  ['AUC and DeLong from groups', (f) => /aucOfGroups/.test(f.functionName)],
  ['figures: cells to buckets (seriesFigures)', (f) => /bucket-figures/.test(f.url)],
  ['estimates (CBPE) and score histograms', (f) => /estimate|cbpe|calibration|score-histograms/.test(f.url)],
  ['JSON serialisation', (f) => /stringify|serialize/i.test(f.functionName) || /fast-json-stringify/.test(f.url)],
  ['typeorm / query runner', (f) => /typeorm/.test(f.url)],
  ['HTTP (fastify / nest)', (f) => /fastify|@nestjs|find-my-way|avvio|light-my-request/.test(f.url)],
  ['garbage collection', (f) => f.functionName === '(garbage collector)'],
  ['idle', (f) => f.functionName === '(idle)'],
  ['program (V8, native)', (f) => f.functionName === '(program)'],
];
const BACKGROUND = (f) => /performance-gauges|alert|joiner|label-joiner|flush|prediction-buckets|leader/.test(f.url);

export function summarise(file, fromUs = -Infinity, toUs = Infinity, queries = 1) {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8'));
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const phaseOf = new Map();
  const classify = (id) => {
    if (phaseOf.has(id)) return phaseOf.get(id);
    const chain = [];
    for (let at = id; at !== undefined; at = parent.get(at)) chain.push(byId.get(at).callFrame);
    let phase = 'other JavaScript';
    if (chain.some(BACKGROUND)) phase = 'background (gauges, joiner, flush)';
    else {
      outer: for (const f of chain) {
        for (const [name, test] of PHASES) {
          if (test(f)) {
            phase = name;
            break outer;
          }
        }
      }
    }
    phaseOf.set(id, phase);
    return phase;
  };
  const totals = new Map();
  const selfByFn = new Map();
  let t = prof.startTime;
  let windowUs = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    t += prof.timeDeltas[i];
    const dt = prof.timeDeltas[i + 1] ?? 0;
    if (t < fromUs || t > toUs) continue;
    windowUs += dt;
    const id = prof.samples[i];
    const phase = classify(id);
    totals.set(phase, (totals.get(phase) ?? 0) + dt);
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\/(node_modules|dist)\//, '$1/')}:${f.lineNumber + 1}`;
    selfByFn.set(key, (selfByFn.get(key) ?? 0) + dt);
  }
  const ms = (us) => Math.round((us / 1000 / queries) * 10) / 10;
  return {
    window_ms: Math.round(windowUs / 1000),
    queries,
    per_query_ms: Object.fromEntries([...totals].sort((a, b) => b[1] - a[1]).map(([k, v]) => [k, ms(v)])),
    top_self_per_query_ms: [...selfByFn].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => [k, ms(v)]),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [file, from, to, q] = process.argv.slice(2);
  console.log(JSON.stringify(summarise(file, from ? Number(from) : -Infinity, to ? Number(to) : Infinity, q ? Number(q) : 1), null, 2));
}
