// Progress lines on stderr, the run's time stamp, and the error that stops the bench.
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const t0 = Date.now();
export const stamp = new Date(t0).toISOString().replace(/[:.]/g, '-');
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(0).padStart(3)}s`;
export const log = (msg) => process.stderr.write(`[bench ${elapsed()}] ${msg}\n`);

/** A failure the bench explains itself: printed without a stack. */
export class BenchError extends Error {}

export const fmtInt = (x) => (x === null || x === undefined ? '-' : Math.round(x).toLocaleString('en-US'));
export const fmtMs = (x) => (x === null || x === undefined ? '-' : x < 10 ? x.toFixed(2) : x.toFixed(1));
