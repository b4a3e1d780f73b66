import { describe, expect, it } from 'vitest';
import { endsAt, parseList, parseMetrics, parsePairs, parseRoutes } from './args.js';
import { CliError } from './cli-error.js';

describe('CLI arguments', () => {
  it('reads repeated and comma-joined key=value pairs, keeping "=" inside values', () => {
    expect(parsePairs(['team=risk', 'a=1,b=x=y'], 'tag')).toEqual({ team: 'risk', a: '1', b: 'x=y' });
    expect(() => parsePairs(['oops'], 'tag')).toThrow(/tag "oops" is not key=value/);
  });

  it('reads metrics as numbers and refuses one that is not', () => {
    expect(parseMetrics(['auc=0.91', 'rmse=1e-3'])).toEqual({ auc: 0.91, rmse: 0.001 });
    expect(() => parseMetrics(['auc=high'])).toThrow(CliError);
  });

  it('reads version=weight and alias=weight routes', () => {
    expect(parseRoutes(['3=90', '4=10'])).toEqual([
      { version: 3, weight: 90 },
      { version: 4, weight: 10 },
    ]);
    expect(parseRoutes(['production=90', 'staging=10'])[1]).toEqual({ alias: 'staging', weight: 10 });
    expect(() => parseRoutes(['3=150'])).toThrow(/weight must be an integer/);
    expect(() => parseRoutes([])).toThrow(/at least one route/);
  });

  it('splits comma lists and computes an end time from a duration', () => {
    expect(parseList('a, b,,c')).toEqual(['a', 'b', 'c']);
    expect(parseList(undefined)).toBeUndefined();
    expect(endsAt('2h', Date.UTC(2026, 0, 1))).toBe('2026-01-01T02:00:00.000Z');
    expect(() => endsAt('soon')).toThrow(/30m, 2h or 1d/);
  });
});
