import { readDecimal } from './values.js';

/**
 * A categorical distribution as stored with a version (JSON, snake_case):
 * frequencies per category key, `count` = their sum, missing apart.
 */
export interface CategoricalSketch {
  type: 'categorical';
  count: number;
  missing: number;
  frequencies: Record<string, number>;
}

/**
 * The one spelling of a category: codes arrive as numbers from the model
 * inputs (2), as CSV text ("2" or "2.0") and as floats from a pandas export
 * (2.0), and all must land in the same bucket, "2". A string that is not a
 * number is kept as it is (trimmed). Returns null for a missing value.
 */
export function categoryKey(value: number | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return null;
    // String(-0) is "0" already; infinities keep their JS spelling.
    return String(value);
  }
  const n = readDecimal(value);
  if (n === undefined) return value.trim();
  return Number.isNaN(n) ? null : String(n);
}

export function buildCategoricalSketch(values: ArrayLike<number | string | null>): CategoricalSketch {
  const frequencies = new Map<string, number>();
  let missing = 0;
  for (let i = 0; i < values.length; i++) {
    const key = categoryKey(values[i]);
    if (key === null) missing++;
    else frequencies.set(key, (frequencies.get(key) ?? 0) + 1);
  }
  return {
    type: 'categorical',
    count: values.length - missing,
    missing,
    frequencies: sortedRecord(frequencies),
  };
}

/**
 * Keys in a stable order, so equal tables serialise equally whatever order
 * the rows came in: numeric codes numerically, then text. (An object lists
 * non-negative integer keys first, ascending, whatever the insertion order;
 * the sort decides the rest.)
 */
export function sortedRecord(map: Map<string, number>): Record<string, number> {
  const keys = [...map.keys()].sort(compareCategories);
  return Object.fromEntries(keys.map((k) => [k, map.get(k)!]));
}

function compareCategories(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  const aNum = a !== '' && Number.isFinite(na);
  const bNum = b !== '' && Number.isFinite(nb);
  if (aNum && bNum) return na - nb;
  if (aNum !== bNum) return aNum ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}
