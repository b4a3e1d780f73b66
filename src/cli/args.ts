import { CliError } from './cli-error.js';

/**
 * Parsers for the CLI's compact arguments (`auc=0.91`, `3=90`, `k=v`).
 * Pure: no I/O, so they are unit-tested beside this file.
 */

/** `key=value` pairs (repeatable options or comma lists) into an object; a bad pair names itself. */
export function parsePairs(items: string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items.flatMap((s) => s.split(','))) {
    if (!item) continue;
    const i = item.indexOf('=');
    if (i <= 0) throw new CliError('INVALID_ARGUMENT', `${what} "${item}" is not key=value`);
    out[item.slice(0, i).trim()] = item.slice(i + 1).trim();
  }
  return out;
}

/** `auc=0.91,accuracy=0.88` into numbers. */
export function parseMetrics(items: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(parsePairs(items, 'metric'))) {
    const n = Number(v);
    if (v === '' || !Number.isFinite(n)) throw new CliError('INVALID_ARGUMENT', `metric ${k}=${v} is not a number`);
    out[k] = n;
  }
  return out;
}

export type RouteArg = { version: number; weight: number } | { alias: string; weight: number };

/** `3=90 4=10` (version=weight) or `staging=10` (alias=weight) into traffic routes. */
export function parseRoutes(items: string[]): RouteArg[] {
  if (!items.length) throw new CliError('INVALID_ARGUMENT', 'give at least one route, e.g. 3=90 4=10');
  return Object.entries(parsePairs(items, 'route')).map(([target, w]) => {
    const weight = Number(w);
    if (!Number.isInteger(weight) || weight < 0 || weight > 100) throw new CliError('INVALID_ARGUMENT', `route ${target}=${w}: weight must be an integer from 0 to 100`);
    return /^\d+$/.test(target) ? { version: Number(target), weight } : { alias: target, weight };
  });
}

/** A comma list of names (`--feature-names a,b,c`), or undefined when not given. */
export function parseList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** A positive integer argument such as a version number. */
export function parseInteger(value: string, what: string): number {
  if (!/^\d+$/.test(value)) throw new CliError('INVALID_ARGUMENT', `${what} "${value}" is not a whole number`);
  return Number(value);
}

/** `30m`, `2h`, `1d` from now, as an RFC 3339 time. */
export function endsAt(duration: string, now = Date.now()): string {
  const m = duration.match(/^(\d+)(m|h|d)$/);
  if (!m) throw new CliError('INVALID_ARGUMENT', `duration "${duration}" is not like 30m, 2h or 1d`);
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm' | 'h' | 'd'];
  return new Date(now + Number(m[1]) * unit).toISOString();
}
