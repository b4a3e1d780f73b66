// Scenario 5: an upload does not stall predictions. /v1 at 50% of its own
// peak (open loop) with no upload, and the same rate while a 100 MB model
// with a 100,000-row baseline uploads, in interleaved rounds (none/during,
// then during/none, ...). Bar: the median over rounds of p99 during the
// upload / p99 without it, within 1.5x.
import fs from 'node:fs';
import path from 'node:path';
import { appendInitializer } from '../../test/support/heavy-onnx.mjs';
import { CSV_FILE, MODEL_FILE, numEnv } from '../lib/settings.mjs';
import { fmtMs, log, sleep } from '../lib/log.mjs';
import { http } from '../lib/http.mjs';
import { expectStatus, withModelgate } from '../lib/servers.mjs';

const BAR = 1.5;
const RATE_PCT = numEnv('BENCH_UPLOAD_RATE_PCT', 50);
const MODEL_MB = numEnv('BENCH_UPLOAD_MODEL_MB', 100);
const BASELINE_ROWS = numEnv('BENCH_UPLOAD_BASELINE_ROWS', 100_000);
const ROUNDS = Math.max(1, numEnv('BENCH_UPLOAD_ROUNDS', 5));

/** The fixture with an unused initializer making it MODEL_MB, and a baseline of its test rows cycled. */
function prepareFiles(dir) {
  const model = path.join(dir, 'upload-heavy.onnx');
  const size = appendInitializer(fs.readFileSync(MODEL_FILE), { name: 'bench_ballast', floats: Math.round((MODEL_MB * 1e6) / 4), outPath: model });
  const [header, ...rows] = fs.readFileSync(CSV_FILE, 'utf8').trim().split('\n');
  const baseline = path.join(dir, 'upload-baseline.csv');
  const out = fs.openSync(baseline, 'w');
  fs.writeSync(out, `${header.trim()}\n`);
  for (let i = 0; i < BASELINE_ROWS; i += rows.length) {
    fs.writeSync(out, rows.slice(0, Math.min(rows.length, BASELINE_ROWS - i)).join('\n') + '\n');
  }
  fs.closeSync(out);
  return { model, size, baseline };
}

async function upload(srv, files) {
  const form = new FormData();
  form.append('file', await fs.openAsBlob(files.model), 'upload-heavy.onnx');
  form.append('baseline', await fs.openAsBlob(files.baseline), 'baseline.csv');
  const started = performance.now();
  const r = await http('POST', `${srv.base}/api/v1/models/bc-upload/versions`, { body: form, headers: srv.headers, timeoutMs: 600_000 });
  expectStatus(srv, 'POST /api/v1/models/bc-upload/versions (100 MB)', r, 201);
  return { upload_s: Math.round(performance.now() - started) / 1000, version: r.json.version, size_bytes: files.size, baseline_rows: BASELINE_ROWS };
}

export default {
  name: 'upload',
  number: 5,
  once: true,
  async run(h) {
    const files = prepareFiles(h.workDir);
    log(`upload: ${(files.size / 1e6).toFixed(0)} MB model, ${BASELINE_ROWS} baseline rows`);
    await withModelgate(h, 'upload', {}, async (srv) => {
      const r = await http('POST', `${srv.base}/api/v1/models`, { body: { name: 'bc-upload', task: 'binary_classification' }, headers: srv.headers });
      expectStatus(srv, 'POST /api/v1/models', r, 201, 409);
      await h.peak(srv, 'v1', 'upload-v1-peak');
      const rate = h.rateFor('upload-v1-peak', RATE_PCT);
      const none = () => h.paced(srv, 'v1', 'upload-none', rate);
      const during = () =>
        h.paced(srv, 'v1', 'upload-during', rate, {
          // Starts with the measured part, after the paced warm-up.
          during: async (s) => {
            await sleep(h.S.warmupS * 1000);
            const u = await upload(s, files);
            log(`upload: stored version ${u.version} in ${u.upload_s} s (measured window ${h.S.durationS} s)`);
            return u;
          },
        });
      for (let r = 0; r < ROUNDS; r++) {
        for (const run of r % 2 ? [during, none] : [none, during]) await run();
      }
    });
    fs.rmSync(files.model, { force: true });
  },
  rows(h) {
    const none = h.combine('upload-none');
    const during = h.combine('upload-during');
    if (!none || !during) return [];
    // Runs pair up by round (the i-th of each label); the bar is the median of the rounds' ratios.
    const ratios = during.p99_each.map((p, i) => (none.p99_each[i] > 0 ? p / none.p99_each[i] : null)).filter((x) => x !== null).sort((a, b) => a - b);
    const mid = ratios.length >> 1;
    const ratio = !ratios.length ? null : Math.round((ratios.length % 2 ? ratios[mid] : (ratios[mid - 1] + ratios[mid]) / 2) * 1000) / 1000;
    const ok = none.non2xx + none.errors + during.non2xx + during.errors === 0;
    const sc = `5 upload @${RATE_PCT}% peak`;
    return [
      { ...none, scenario: sc, server: `/v1, no upload @${Math.round(none.target_rate)}/s`, ratio: null, bar: '', result: ok ? 'info' : 'ERROR' },
      {
        ...during,
        scenario: sc,
        server: `/v1 while a ${MODEL_MB} MB model uploads`,
        ratio,
        bar: `p99 <= ${BAR.toFixed(1)}x`,
        result: (!ok ? 'ERROR' : ratio !== null && ratio <= BAR ? 'PASS' : 'FAIL') + (none.noisy || during.noisy ? '*' : ''),
        note: `ratio = median over ${ratios.length} interleaved rounds of p99 during / p99 without (rounds: ${ratios.map((x) => x.toFixed(2)).join(', ')}; medians ${fmtMs(during.p99)} / ${fmtMs(none.p99)} ms)`,
      },
    ];
  },
};
