import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FastCounter, FastHistogram } from './fast-metrics.js';

/** Samples of a Prometheus text exposition, keyed by name and sorted labels, so label order does not matter. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) throw new Error(`not an exposition line: ${line}`);
    const labels = (m[2] ?? '').match(/[a-zA-Z_]\w*="(?:[^"\\]|\\.)*"/g) ?? [];
    out.set(`${m[1]}{${labels.sort().join(',')}}`, Number(m[3]));
  }
  return out;
}

describe('FastCounter', () => {
  it('renders the same samples as a prom-client counter fed the same increments', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new FastCounter({ name: 'c_total', help: 'h', labelNames: ['model', 'code'], registers: [ours] });
    const ref = new Counter({ name: 'c_total', help: 'h', labelNames: ['model', 'code'], registers: [theirs] });
    const child = fast.labels('a "quoted"\nmodel', 'E1');
    for (let i = 0; i < 5; i++) child.inc();
    child.inc(2.5);
    fast.inc({ model: 'b', code: 'E2' }, 3);
    ref.inc({ model: 'a "quoted"\nmodel', code: 'E1' }, 7.5);
    ref.inc({ model: 'b', code: 'E2' }, 3);
    expect(samples(await ours.metrics())).toEqual(samples(await theirs.metrics()));
    expect(await ours.metrics()).toContain('# TYPE c_total counter');
  });

  it('returns the same child for the same label values, positional or by name', () => {
    const c = new FastCounter({ name: 'c_total', help: 'h', labelNames: ['a', 'b'] });
    expect(c.labels('x', 1)).toBe(c.labels({ b: '1', a: 'x' }));
    expect(c.labels('x', 2)).not.toBe(c.labels('x', 1));
  });

  it('ignores negative, NaN and infinite increments instead of throwing', () => {
    const c = new FastCounter({ name: 'c_total', help: 'h' }).labels();
    c.inc(-1);
    c.inc(Number.NaN);
    c.inc(Infinity);
    c.inc(2);
    expect(c.value).toBe(2);
  });

  it('refuses the wrong number of label values or an unknown label name', () => {
    const c = new FastCounter({ name: 'c_total', help: 'h', labelNames: ['a', 'b'] });
    expect(() => c.labels('x')).toThrow(/takes 2 label values/);
    expect(() => c.labels({ a: 'x', z: 'y' } as never)).toThrow(/no label "z"/);
  });

  it('forgets the series that match a partial label set', async () => {
    const reg = new Registry();
    const c = new FastCounter({ name: 'c_total', help: 'h', labelNames: ['model', 'version', 'code'], registers: [reg] });
    c.labels('m', 1, 'a').inc();
    c.labels('m', 1, 'b').inc();
    c.labels('m', 2, 'a').inc();
    c.removeMatching({ model: 'm', version: 1 });
    expect([...samples(await reg.metrics()).keys()]).toEqual(['c_total{code="a",model="m",version="2"}']);
  });
});

describe('FastHistogram', () => {
  it('renders the same buckets, sum and count as a prom-client histogram fed the same values', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const buckets = [0.001, 0.01, 0.1, 1];
    const fast = new FastHistogram({ name: 'h_seconds', help: 'h', labelNames: ['route'], buckets, registers: [ours] });
    const ref = new Histogram({ name: 'h_seconds', help: 'h', labelNames: ['route'], buckets, registers: [theirs] });
    const values = [0, 0.001, 0.0011, 0.05, 0.1, 0.5, 1, 3, 1e9, -2];
    const child = fast.labels('/a');
    for (const v of values) {
      child.observe(v);
      ref.observe({ route: '/a' }, v);
    }
    fast.observe({ route: '/b' }, 0.2);
    ref.observe({ route: '/b' }, 0.2);
    expect(samples(await ours.metrics())).toEqual(samples(await theirs.metrics()));
    expect(await ours.metrics()).toContain('# TYPE h_seconds histogram');
  });

  it('counts a value equal to a bound in that bound\'s bucket, as Prometheus\' "le" says', async () => {
    const reg = new Registry();
    const h = new FastHistogram({ name: 'h', help: 'h', buckets: [1, 2], registers: [reg] });
    h.labels().observe(1);
    const s = samples(await reg.metrics());
    expect(s.get('h_bucket{le="1"}')).toBe(1);
    expect(s.get('h_bucket{le="+Inf"}')).toBe(1);
  });

  it('ignores non-finite observations', () => {
    const h = new FastHistogram({ name: 'h', help: 'h', buckets: [1] }).labels();
    h.observe(Number.NaN);
    h.observe(Infinity);
    expect(h.count).toBe(0);
  });

  it('observes the elapsed seconds of a timer', () => {
    const h = new FastHistogram({ name: 'h', help: 'h', labelNames: ['m'], buckets: [1] });
    const end = h.startTimer({ m: 'x' });
    const s = end();
    expect(s).toBeGreaterThanOrEqual(0);
    expect(h.labels('x').count).toBe(1);
  });

  it('refuses duplicate buckets and the reserved label "le"', () => {
    expect(() => new FastHistogram({ name: 'h', help: 'h', buckets: [1, 1] })).toThrow(/distinct/);
    expect(() => new FastHistogram({ name: 'h', help: 'h', labelNames: ['le'], buckets: [1] })).toThrow(/reserved/);
  });
});
