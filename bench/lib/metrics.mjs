// Modelgate's /metrics before and after a run: rows per inference, telemetry.
// An anchor (bench/bare-server.mjs, fastify-server.mjs) counts its runs and rows on GET /metrics as JSON.
import { MODEL } from './settings.mjs';
import { http } from './http.mjs';

export function parseProm(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line[0] === '#') continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const l of (m[2] ?? '').slice(1, -1).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

export const sumOf = (samples, name, where = {}) =>
  samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)).reduce((a, s) => a + s.value, 0);

async function scrapeAnchor(server) {
  try {
    const r = await http('GET', `${server.base}/metrics`);
    if (r.status !== 200 || !r.json) return null;
    return { batchRowsSum: r.json.rows, batchRowsCount: r.json.runs, predictionErrors: r.json.errors, telemetryFlushed: 0, telemetryDropped: 0 };
  } catch {
    return null;
  }
}

export async function scrape(server) {
  if (server.kind === 'anchor') return scrapeAnchor(server);
  if (server.kind !== 'modelgate') return null;
  try {
    const r = await http('GET', `${server.base}/metrics`, { headers: server.headers });
    if (r.status !== 200) return null;
    const s = parseProm(r.text);
    return {
      batchRowsSum: sumOf(s, 'modelgate_inference_batch_rows_sum', { model: MODEL }),
      batchRowsCount: sumOf(s, 'modelgate_inference_batch_rows_count', { model: MODEL }),
      predictionErrors: sumOf(s, 'modelgate_prediction_errors_total', { model: MODEL }),
      telemetryFlushed: sumOf(s, 'modelgate_telemetry_flushed_total', { kind: 'prediction' }),
      telemetryDropped: sumOf(s, 'modelgate_telemetry_dropped_total', { kind: 'prediction' }),
      // Every model's rows, and the online feature values found in a store (scenario 10 checks one against the other).
      rowsAllModels: sumOf(s, 'modelgate_inference_batch_rows_sum'),
      inferencesAllModels: sumOf(s, 'modelgate_inference_batch_rows_count'),
      featureReads: sumOf(s, 'modelgate_feature_lookup_duration_seconds_count', { outcome: 'ok' }),
      featureReadSeconds: sumOf(s, 'modelgate_feature_lookup_duration_seconds_sum', { outcome: 'ok' }),
      featureHits: sumOf(s, 'modelgate_feature_lookups_total', { outcome: 'hit' }),
      featureErrors: sumOf(s, 'modelgate_feature_lookups_total', { outcome: 'error' }),
      featureReadTimeouts: sumOf(s, 'modelgate_feature_lookup_duration_seconds_count', { outcome: 'timeout' }),
    };
  } catch {
    return null;
  }
}

export function metricsDelta(a, b) {
  if (!a || !b) return null;
  // Scenarios that serve another model than `bc` (10) read every model's rows per inference.
  const own = b.batchRowsCount - a.batchRowsCount > 0;
  const count = own ? b.batchRowsCount - a.batchRowsCount : (b.inferencesAllModels ?? 0) - (a.inferencesAllModels ?? 0);
  const rows = own ? b.batchRowsSum - a.batchRowsSum : (b.rowsAllModels ?? 0) - (a.rowsAllModels ?? 0);
  const reads = (b.featureReads ?? 0) - (a.featureReads ?? 0);
  return {
    inferences: count,
    rows,
    mean_rows_per_inference: count > 0 ? Math.round((rows / count) * 100) / 100 : null,
    prediction_errors: b.predictionErrors - a.predictionErrors,
    telemetry_flushed: b.telemetryFlushed - a.telemetryFlushed,
    telemetry_dropped: b.telemetryDropped - a.telemetryDropped,
    rows_all_models: (b.rowsAllModels ?? 0) - (a.rowsAllModels ?? 0),
    feature_hits: (b.featureHits ?? 0) - (a.featureHits ?? 0),
    feature_errors: (b.featureErrors ?? 0) - (a.featureErrors ?? 0),
    feature_read_timeouts: (b.featureReadTimeouts ?? 0) - (a.featureReadTimeouts ?? 0),
    feature_reads: reads,
    mean_feature_read_ms: reads > 0 ? Math.round((((b.featureReadSeconds ?? 0) - (a.featureReadSeconds ?? 0)) / reads) * 1e5) / 100 : null,
  };
}
