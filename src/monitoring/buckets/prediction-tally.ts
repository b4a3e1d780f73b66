import { HOUR_MS, MINUTE_MS } from './bucket-grid.js';
import { SCORE_BINS, scoreBin } from './score-histograms.js';

/** What one replica saw of one series in one cell (a minute or an hour), flushed whole to `prediction_buckets`. */
export class PredictionCell {
  predictions = 0;
  scored = 0;
  scoreSum = 0;
  /** Set by every update, cleared by a flush: an unchanged cell is not written again. */
  dirty = false;
  /** Updates so far, and how many the flush in progress holds: rows that land while it writes keep the cell dirty. */
  changes = 0;
  flushing = 0;
  readonly histogram: Float64Array | null;

  constructor(
    readonly grain: 60 | 3600,
    readonly start: number,
    binary: boolean,
  ) {
    this.histogram = binary ? new Float64Array(SCORE_BINS) : null;
  }

  get end(): number {
    return this.start + this.grain * 1000;
  }
}

/** A score or value as the decoded answer row carries it. */
export interface ScoredAnswer {
  score?: number;
  value?: number;
}

/**
 * One series' running minute and hour cells on this replica. `add` is a
 * loop over the rows with two typed-array increments each: no allocation
 * except when a new minute (or hour) begins.
 */
export class SeriesTally {
  minute?: PredictionCell;
  hour?: PredictionCell;
  /** Cells that ended and still wait for their last flush. */
  closed: PredictionCell[] = [];

  constructor(
    readonly model: string,
    readonly version: number,
    readonly variant: string,
    readonly binary: boolean,
    /** Feature source code (0 sent, 1 looked up): a dimension of the cell's row like the variant. */
    readonly source: 0 | 1 = 0,
  ) {}

  add(at: number, n: number, answers: ArrayLike<ScoredAnswer> | undefined): void {
    const m = this.cell('minute', at);
    const h = this.cell('hour', at);
    m.predictions += n;
    h.predictions += n;
    m.dirty = h.dirty = true;
    m.changes++;
    h.changes++;
    if (!answers) return;
    const mh = m.histogram;
    const hh = h.histogram;
    for (let i = 0; i < n; i++) {
      const a = answers[i];
      if (a === undefined) continue;
      const s = a.score ?? a.value;
      if (typeof s !== 'number' || !Number.isFinite(s)) continue;
      m.scored++;
      h.scored++;
      m.scoreSum += s;
      h.scoreSum += s;
      if (mh !== null && hh !== null) {
        const b = scoreBin(s);
        mh[b]++;
        hh[b]++;
      }
    }
  }

  /** Moves cells that ended before `now` to `closed` (so their last state is flushed) and returns every cell to write. */
  due(now: number): PredictionCell[] {
    for (const kind of ['minute', 'hour'] as const) {
      const c = this[kind];
      if (c && now >= c.end) {
        this.closed.push(c);
        this[kind] = undefined;
      }
    }
    const out = this.closed.filter((c) => c.dirty);
    for (const c of [this.minute, this.hour]) if (c?.dirty) out.push(c);
    for (const c of out) c.flushing = c.changes;
    return out;
  }

  /** After a successful write of `written`: cells with no row since `due` are clean (closed ones done). */
  written(cells: readonly PredictionCell[]): void {
    for (const c of cells) c.dirty = c.changes !== c.flushing;
    this.closed = this.closed.filter((c) => c.dirty);
  }

  get idle(): boolean {
    return this.minute === undefined && this.hour === undefined && this.closed.length === 0;
  }

  private cell(kind: 'minute' | 'hour', at: number): PredictionCell {
    const c = this[kind];
    if (c !== undefined && at >= c.start && at < c.end) return c;
    if (c !== undefined) this.closed.push(c);
    const unit = kind === 'minute' ? MINUTE_MS : HOUR_MS;
    const start = Math.floor(at / unit) * unit;
    return (this[kind] = new PredictionCell(kind === 'minute' ? 60 : 3600, start, this.binary));
  }
}
