/**
 * How text in an uploaded baseline reads as a value. One place, so the CSV
 * reader, the JSON rows reader and category keys agree on what "missing" and
 * "a number" mean.
 */

/** Compared lower-case: "", "NaN", "null", "NA" (pandas and R spell missing these ways). */
const MISSING_TOKENS = new Set(['', 'nan', 'null', 'na']);

// Number() also accepts hex ("0x1f"), binary ("0b1"), "Infinity" and
// surrounding whitespace; a baseline value is plain decimal text only.
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The number a piece of text spells, NaN for a missing token, or undefined when it is neither. */
export function readDecimal(text: string): number | undefined {
  // Trimming allocates; most fields have nothing to trim.
  const t = needsTrim(text) ? text.trim() : text;
  if (DECIMAL.test(t)) {
    const n = Number(t);
    // "1e999" is decimal text but not a finite double.
    return Number.isFinite(n) ? n : undefined;
  }
  return MISSING_TOKENS.has(t.toLowerCase()) ? NaN : undefined;
}

function needsTrim(text: string): boolean {
  return text.length > 0 && (text.charCodeAt(0) <= 32 || text.charCodeAt(text.length - 1) <= 32);
}
