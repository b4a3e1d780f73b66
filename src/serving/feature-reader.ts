import { ValidationFailed } from '../common/errors.js';

/** Where a row-major numeric matrix is written; NaN marks a missing value. */
export type NumericMatrix = Float32Array | Float64Array;

type CompiledReader = (o: Record<string, unknown>, out: NumericMatrix, base: number) => number;
/** Reads a filled row: looked-up features from `served` (by their index in the block), the others from the row as sent. */
type CompiledFilledReader = (o: Record<string, unknown>, served: readonly unknown[], out: NumericMatrix, base: number) => number;

/** A row filled from the online store, as the reader needs it (see features/online-feature-fill.ts). */
export interface FilledInstance {
  readonly sent?: Readonly<Record<string, unknown>>;
  readonly values: Record<string, unknown>;
  /** Per looked-up feature, in the order the reader was given them, the value served. */
  readonly served: readonly unknown[];
}

/**
 * Reads prediction rows into a row-major matrix in the version's feature
 * order. The per-instance code is generated once per feature list: a fixed
 * sequence of property reads, no loop over names, no allocation. Any
 * problem falls to a slow path that names the instance and the feature.
 */
export class FeatureReader {
  readonly width: number;
  private readonly names: readonly string[];
  private readonly index: ReadonlyMap<string, number>;
  private readonly compiled: CompiledReader;
  /** Names a named row may carry beside the features (a version's declared entity keys); read by nobody. */
  private readonly exempt: ReadonlySet<string>;
  /** The looked-up features (a version's online-features block) and the reader of rows filled with them; compiled once with the reader. */
  private readonly lookedUp: readonly string[];
  private readonly filledReader?: CompiledFilledReader;

  constructor(featureNames: readonly string[], exempt: readonly string[] = [], lookedUp: readonly string[] = []) {
    this.names = featureNames;
    this.exempt = new Set(exempt.filter((e) => !featureNames.includes(e)));
    this.width = featureNames.length;
    this.index = new Map(featureNames.map((n, i) => [n, i]));
    this.compiled = compile(featureNames);
    this.lookedUp = lookedUp.filter((n) => this.index.has(n));
    if (this.lookedUp.length > 0) this.filledReader = compileFilled(featureNames, new Map(lookedUp.map((n, k) => [n, k])));
  }

  /** `{"instances": [{feature: value}]}`: any key order, every feature present, no others. */
  readInstances(instances: readonly unknown[], out: NumericMatrix): void {
    for (let r = 0; r < instances.length; r++) this.readRow(instances[r], r, out);
  }

  /** Instance `r` into row `r` of `out`. */
  private readRow(o: unknown, r: number, out: NumericMatrix): void {
    if (o === null || typeof o !== 'object' || Array.isArray(o)) {
      throw new ValidationFailed(`instances.${r} must be an object of feature values`, { field: `instances.${r}` });
    }
    const w = this.width;
    const bad = this.compiled(o as Record<string, unknown>, out, r * w);
    if (bad !== -1) this.explain(o as Record<string, unknown>, r, bad);
    const keys = countKeys(o);
    if (keys !== w && this.unknownIn(o as Record<string, unknown>, keys)) this.explainUnknown(o as Record<string, unknown>, r);
  }

  /**
   * Rows filled from the online store, straight into the matrix: each
   * looked-up feature's served value, every other feature from the row as
   * sent, without building the merged row. A row the fast check does not
   * clear (a wrong type, a missing or unknown feature) is read as its
   * merged row by `readInstances`, which names the problem as for any row.
   */
  readFilled(rows: readonly FilledInstance[], out: NumericMatrix): void {
    const compiled = this.filledReader;
    const w = this.width;
    // Keys a sent row holds when all is well: the features not looked up, plus whichever entity keys and looked-up features it sent.
    const base = w - this.lookedUp.length;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      const o = row.sent;
      if (compiled === undefined || o === undefined || compiled(o as Record<string, unknown>, row.served, out, r * w) !== -1 || countKeys(o) !== base + this.presentOf(o)) {
        this.readRow(row.values, r, out);
      }
    }
  }

  /** Exempt keys and sent looked-up features present in a row. */
  private presentOf(o: Readonly<Record<string, unknown>>): number {
    let n = 0;
    for (const e of this.exempt) if (Object.hasOwn(o, e)) n++;
    for (const f of this.lookedUp) if (Object.hasOwn(o, f)) n++;
    return n;
  }

  /** `{"inputs": [[...]]}`: ordered rows of exactly `width` values. */
  readInputs(inputs: readonly unknown[], out: NumericMatrix): void {
    const w = this.width;
    for (let r = 0; r < inputs.length; r++) {
      const row = inputs[r];
      if (!Array.isArray(row) || row.length !== w) {
        throw new ValidationFailed(
          `inputs.${r} must be an array of ${w} values in feature order (${this.names.slice(0, 3).join(', ')}${w > 3 ? ', ...' : ''})`,
          { field: `inputs.${r}`, expected_width: w, width: Array.isArray(row) ? row.length : null },
        );
      }
      const base = r * w;
      for (let f = 0; f < w; f++) {
        const v = row[f];
        if (typeof v === 'number') out[base + f] = v;
        else if (v === null) out[base + f] = NaN;
        else {
          throw new ValidationFailed(`inputs.${r}.${f} (${this.names[f]}) must be a number or null, not ${describe(v)}`, {
            field: `inputs.${r}.${f}`,
            feature: this.names[f],
          });
        }
      }
    }
  }

  private explain(o: Record<string, unknown>, r: number, f: number): never {
    const name = this.names[f];
    const v = o[name];
    if (v === undefined) {
      throw new ValidationFailed(`instances.${r} is missing feature "${name}" (send null for a missing value)`, {
        field: `instances.${r}.${name}`,
        feature: name,
        reason: 'missing',
      });
    }
    throw new ValidationFailed(`instances.${r}.${name} must be a number or null, not ${describe(v)}`, {
      field: `instances.${r}.${name}`,
      feature: name,
      reason: 'type',
    });
  }

  /**
   * Whether a row with more keys than features has one that is neither a
   * feature nor exempt. Every feature was read, so the row holds each once:
   * when the exempt keys it holds make up the difference, there is none
   * (a check per exempt key, not per key of the row).
   */
  private unknownIn(o: Record<string, unknown>, keys: number): boolean {
    if (this.exempt.size === 0) return true;
    let present = 0;
    for (const e of this.exempt) if (Object.hasOwn(o, e)) present++;
    if (keys === this.width + present) return false;
    for (const k in o) if (!this.index.has(k) && !this.exempt.has(k)) return true;
    return false;
  }

  private explainUnknown(o: Record<string, unknown>, r: number): never {
    const unknown = Object.keys(o).filter((k) => !this.index.has(k) && !this.exempt.has(k));
    throw new ValidationFailed(`instances.${r} has unknown feature "${unknown[0]}"`, {
      field: `instances.${r}.${unknown[0]}`,
      feature: unknown[0],
      reason: 'unknown',
      unknown_features: unknown.slice(0, 20),
    });
  }
}

/**
 * Generates `(o, out, base) => -1 | failingFeatureIndex`. Property names are
 * embedded with JSON.stringify, so any string (quotes, unicode) is a safe key.
 */
function compile(names: readonly string[]): CompiledReader {
  const lines = ['let v;'];
  names.forEach((name, i) => {
    lines.push(
      `v = o[${JSON.stringify(name)}];`,
      `if (typeof v === 'number') out[base + ${i}] = v; else if (v === null) out[base + ${i}] = NaN; else return ${i};`,
    );
  });
  lines.push('return -1;');
  return new Function('o', 'out', 'base', lines.join('\n')) as CompiledReader;
}

/** Like `compile`, with the looked-up names read from `filled` (every one of them is there once filled). */
/** `lookedUp`: each looked-up feature's index in a filled row's `served`. */
function compileFilled(names: readonly string[], lookedUp: ReadonlyMap<string, number>): CompiledFilledReader {
  const lines = ['let v;'];
  names.forEach((name, i) => {
    const key = JSON.stringify(name);
    const k = lookedUp.get(name);
    lines.push(
      k !== undefined ? `v = served[${k}];` : `v = o[${key}];`,
      `if (typeof v === 'number') out[base + ${i}] = v; else if (v === null) out[base + ${i}] = NaN; else return ${i};`,
    );
  });
  lines.push('return -1;');
  return new Function('o', 'served', 'out', 'base', lines.join('\n')) as CompiledFilledReader;
}

function countKeys(o: object): number {
  let keys = 0;
  for (const _ in o) keys++;
  return keys;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}...` : v)}`;
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}
