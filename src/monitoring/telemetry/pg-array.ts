/**
 * PostgreSQL array literals for the telemetry INSERT, built here rather than
 * by node-postgres, which quotes and regex-escapes every element of every
 * column: for a 5,000-row batch that was most of the flush's CPU time, spent
 * on the event loop that serves predictions.
 */

/** `{1,2.5,-3}`; the caller passes finite numbers only. */
export function numberArray(xs: readonly number[]): string {
  return `{${xs.join(',')}}`;
}

/** `{1.5,NULL}`: NULL for a missing or non-finite value. */
export function nullableNumberArray(xs: readonly (number | undefined)[]): string {
  let out = '{';
  for (let i = 0; i < xs.length; i++) {
    if (i > 0) out += ',';
    const x = xs[i];
    out += typeof x === 'number' && Number.isFinite(x) ? String(x) : 'NULL';
  }
  return `${out}}`;
}

/** `{true,false}`. */
export function boolArray(xs: readonly boolean[]): string {
  return `{${xs.join(',')}}`;
}

/** `{"a","b\"c",NULL}`: every element quoted, so no value is mistaken for NULL or splits the list. */
export function textArray(xs: readonly (string | null)[]): string {
  let out = '{';
  for (let i = 0; i < xs.length; i++) {
    if (i > 0) out += ',';
    const x = xs[i];
    if (x === null) out += 'NULL';
    // Most values (ids, model names) hold neither character: two scans instead of a regex replace.
    else if (x.includes('"') || x.includes('\\')) out += `"${x.replace(/["\\]/g, '\\$&')}"`;
    else out += `"${x}"`;
  }
  return `${out}}`;
}

/**
 * The rows that have a JSON value, as one JSON object keyed by row index
 * (`{"0":{"a":1},"7":[2]}`): the rows' JSON texts joined, with no
 * per-element escaping. SQL reads row n with `$k::jsonb -> (n - 1)::text`.
 */
export function sparseJsonRows(json: readonly (string | null)[]): string {
  let out = '{';
  let first = true;
  for (let i = 0; i < json.length; i++) {
    const j = json[i];
    if (j === null || j === 'null') continue;
    out += first ? `"${i}":${j}` : `,"${i}":${j}`;
    first = false;
  }
  return `${out}}`;
}
