import { ValidationFailed } from '../../common/errors.js';
import type { BaselineSketch, FeatureSketch } from './baseline-sketch.js';
import { baselineSketchSchema } from './baseline-sketch.schema.js';
import { CsvSyntaxError, decodeCsvText, parseCsv } from './csv.js';
import { readDecimal } from './values.js';

export interface BaselineSpec {
  /** The version's features, in the model's input order. */
  featureNames: readonly string[];
  /** Names among featureNames whose values are category codes. */
  categorical: readonly string[];
  /** The optional column holding the true label. */
  labelColumn: string;
}

export type ParsedBaseline =
  | {
      kind: 'rows';
      rowCount: number;
      /** One column per feature, in featureNames order; NaN is a missing value. */
      columns: Float64Array[];
      /** Present when the label column was given with at least one value. */
      labels?: Float64Array;
    }
  | { kind: 'sketch'; sketch: BaselineSketch };

const MISSING_HINT = 'leave it empty, or write NaN, null or NA, for a missing value';

/**
 * Reads the `baseline` part of a version upload. The format is told by its
 * content, since multipart parts rarely carry a trustworthy type: a leading
 * `[` is JSON rows, a leading `{` a precomputed sketch, anything else CSV
 * with a header. Every refusal is a ValidationFailed naming the column (and
 * row, for a bad value) so the user can fix the file without guessing.
 */
export function parseBaselineUpload(bytes: Buffer, spec: BaselineSpec): ParsedBaseline {
  const text = decodeCsvText(bytes);
  const first = text.match(/\S/)?.[0];
  if (first === undefined) throw refuse('the baseline is empty; give CSV with a header, JSON rows or a precomputed sketch');
  if (first === '[') return readJsonRows(parseJson(text), spec);
  if (first === '{') return { kind: 'sketch', sketch: readSketch(parseJson(text), spec) };
  return readCsv(text, spec);
}

function refuse(message: string, details: Record<string, unknown> = {}): ValidationFailed {
  return new ValidationFailed(message, { field: 'baseline', ...details });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw refuse(`the baseline is not valid JSON: ${(err as Error).message}`);
  }
}

/** Where each column of the upload goes: a feature index, the label, or nowhere (refused). */
class ColumnPlan {
  readonly index = new Map<string, number>();

  constructor(readonly spec: BaselineSpec) {
    spec.featureNames.forEach((name, i) => this.index.set(name, i));
  }

  isLabel(name: string): boolean {
    return name === this.spec.labelColumn && !this.index.has(name);
  }

  unknownColumn(name: string, row?: number): ValidationFailed {
    const features = this.spec.featureNames;
    const listed = features.length <= 8 ? features.join(', ') : `${features.slice(0, 8).join(', ')}, ...`;
    return refuse(
      `baseline column "${name}"${row === undefined ? '' : ` (row ${row})`} is neither a feature of this version nor the label column "${this.spec.labelColumn}"; ` +
        `the columns are the features (${listed}) and optionally the label`,
      { column: name, ...(row === undefined ? {} : { row }) },
    );
  }

  missingColumn(name: string): ValidationFailed {
    return refuse(`the baseline has no column for feature "${name}"; every feature needs a column (values may be missing)`, { column: name });
  }

  badValue(column: string, row: number, value: unknown): ValidationFailed {
    const shown = typeof value === 'string' ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value) : JSON.stringify(value);
    return refuse(`baseline column "${column}", row ${row}: ${shown} is not a number (${MISSING_HINT})`, { column, row });
  }
}

function readCsv(text: string, spec: BaselineSpec): ParsedBaseline {
  let table;
  try {
    table = parseCsv(text);
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw refuse(`the baseline CSV is malformed at ${err.message}`, { line: err.line });
    throw err;
  }
  const plan = new ColumnPlan(spec);
  const header = table.header.map((h) => h.trim());
  const seen = new Set<string>();
  const target: number[] = [];
  let labelAt = -1;
  header.forEach((name, c) => {
    if (seen.has(name)) throw refuse(`baseline column "${name}" appears twice in the header`, { column: name });
    seen.add(name);
    const f = plan.index.get(name);
    if (f !== undefined) target[c] = f;
    else if (plan.isLabel(name)) {
      target[c] = -1;
      labelAt = c;
    } else throw plan.unknownColumn(name);
  });
  for (const name of spec.featureNames) if (!seen.has(name)) throw plan.missingColumn(name);

  // Blank lines carry no row; they are skipped but keep their place in row numbers.
  const width = header.length;
  const records = table.rows;
  let rowCount = 0;
  for (const r of records) if (!(r.length === 1 && r[0] === '' && width > 1)) rowCount++;
  if (rowCount === 0) throw refuse('the baseline has a header but no rows');

  const columns = spec.featureNames.map(() => new Float64Array(rowCount));
  const labels = labelAt >= 0 ? new Float64Array(rowCount) : undefined;
  let out = 0;
  for (let r = 0; r < records.length; r++) {
    const record = records[r];
    if (record.length === 1 && record[0] === '' && width > 1) continue;
    const rowNumber = r + 1;
    if (record.length !== width) {
      throw refuse(`baseline row ${rowNumber} has ${record.length} fields, but the header has ${width}`, { row: rowNumber });
    }
    for (let c = 0; c < width; c++) {
      const v = readDecimal(record[c]);
      if (v === undefined) throw plan.badValue(header[c], rowNumber, record[c]);
      const f = target[c];
      if (f >= 0) columns[f][out] = v;
      else labels![out] = v;
    }
    out++;
  }
  return rowsResult(rowCount, columns, labels);
}

function readJsonRows(parsed: unknown, spec: BaselineSpec): ParsedBaseline {
  const rows = parsed as unknown[];
  if (rows.length === 0) throw refuse('the baseline JSON array has no rows');
  const plan = new ColumnPlan(spec);
  const width = spec.featureNames.length;
  const columns = spec.featureNames.map(() => new Float64Array(rows.length));
  let labels: Float64Array | undefined;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    const rowNumber = r + 1;
    if (row === null || typeof row !== 'object' || Array.isArray(row)) {
      throw refuse(`baseline row ${rowNumber} must be an object of column values, like {"${spec.featureNames[0] ?? 'f1'}": 0.3}`, { row: rowNumber });
    }
    let present = 0;
    for (const [name, value] of Object.entries(row)) {
      const f = plan.index.get(name);
      if (f === undefined && !plan.isLabel(name)) throw plan.unknownColumn(name, rowNumber);
      const v = jsonValue(value);
      if (v === undefined) throw plan.badValue(name, rowNumber, value);
      if (f !== undefined) {
        columns[f][r] = v;
        present++;
      } else {
        labels ??= new Float64Array(rows.length).fill(NaN);
        labels[r] = v;
      }
    }
    if (present !== width) {
      const absent = spec.featureNames.find((n) => !Object.hasOwn(row, n))!;
      const anywhere = rows.some((o) => o !== null && typeof o === 'object' && Object.hasOwn(o, absent));
      if (!anywhere) throw plan.missingColumn(absent);
      throw refuse(`baseline row ${rowNumber} has no value for feature "${absent}"; write null for a missing value`, {
        column: absent,
        row: rowNumber,
      });
    }
  }
  return rowsResult(rows.length, columns, labels);
}

function jsonValue(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (value === null) return NaN;
  if (typeof value === 'string') return readDecimal(value);
  return undefined;
}

function rowsResult(rowCount: number, columns: Float64Array[], labels: Float64Array | undefined): ParsedBaseline {
  // A label column with no value in it tells the monitor nothing; it is optional, so it is dropped.
  const hasLabels = labels?.some((v) => !Number.isNaN(v)) ?? false;
  return { kind: 'rows', rowCount, columns, ...(hasLabels ? { labels } : {}) };
}

function readSketch(parsed: unknown, spec: BaselineSpec): BaselineSketch {
  const r = baselineSketchSchema.safeParse(parsed);
  if (!r.success) {
    const issues = r.error.issues.slice(0, 10).map((i) => ({ path: i.path.join('.'), message: i.message }));
    const { path, message } = issues[0];
    throw refuse(`the baseline is read as a precomputed sketch, and ${path || 'its top level'} is invalid: ${message}`, {
      path,
      issues,
    });
  }
  const sketch = r.data;
  const categorical = new Set(spec.categorical);
  const features: Record<string, FeatureSketch> = {};
  for (const name of spec.featureNames) {
    const f = sketch.features[name];
    if (!f) throw refuse(`the baseline sketch has no sketch for feature "${name}"`, { column: name, path: `features.${name}` });
    const want = categorical.has(name) ? 'categorical' : 'numeric';
    if (f.type !== want) {
      throw refuse(`the baseline sketch of feature "${name}" is ${f.type}, but the feature is ${want}`, { column: name, path: `features.${name}.type` });
    }
    features[name] = f;
  }
  const extra = Object.keys(sketch.features).find((k) => !Object.hasOwn(features, k));
  if (extra !== undefined) {
    throw refuse(`the baseline sketch has a sketch for "${extra}", which is not a feature of this version`, { column: extra, path: `features.${extra}` });
  }
  return { ...sketch, features };
}
