import type { Metric, Registry } from 'prom-client';

/**
 * Counters and histograms for the prediction path. prom-client validates and
 * hashes the label set on every `inc`/`observe`, even through `labels()`
 * (its children only bind the label object), which costs more per request
 * than everything else Modelgate adds to an inference. Here `labels()`
 * resolves a series once and returns a child that holds its own numbers, so
 * an observation is a few arithmetic operations. The classes implement the
 * shape prom-client's Registry reads (`name`, `help`, `type`, `get()`), so
 * the registry renders them like its own metrics.
 */

export type LabelValue = string | number;
type Labels<L extends string> = Partial<Record<L, LabelValue>>;

interface MetricConfig<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  registers?: Registry[];
}

interface SampleOut {
  value: number;
  labels: Record<string, LabelValue>;
  metricName?: string;
}

/** A counter series bound to one label set. */
export class CounterChild {
  value = 0;
  constructor(readonly labels: Record<string, string>) {}

  /** Negative, NaN and infinite increments are ignored: a metric must never break a request. */
  inc(n = 1): void {
    if (n >= 0 && n < Infinity) this.value += n;
  }
}

/** A histogram series bound to one label set. */
export class HistogramChild {
  /** Per-bucket (not cumulative) counts; the last slot is +Inf. */
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  constructor(
    readonly labels: Record<string, string>,
    private readonly bounds: Float64Array,
  ) {
    this.counts = new Float64Array(bounds.length + 1);
  }

  observe(v: number): void {
    if (!Number.isFinite(v)) return;
    const b = this.bounds;
    let i = 0;
    // Linear scan: at most ~16 bounds, and most observations land in the first few.
    while (i < b.length && v > b[i]) i++;
    this.counts[i]++;
    this.sum += v;
    this.count++;
  }

  /** Returns a function that observes the seconds elapsed since this call. */
  startTimer(): () => number {
    const t0 = performance.now();
    return () => {
      const s = (performance.now() - t0) / 1000;
      this.observe(s);
      return s;
    };
  }
}

abstract class FastMetric<L extends string, C extends { labels: Record<string, string> }> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly L[];
  readonly aggregator = 'sum';
  protected children = new Map<string, C>();

  constructor(config: MetricConfig<L>) {
    this.name = config.name;
    this.help = config.help;
    this.labelNames = config.labelNames ?? [];
    // The registry's typings list only its own classes; it reads name, help, type and get().
    for (const r of config.registers ?? []) r.registerMetric(this as unknown as Metric);
  }

  protected abstract create(labels: Record<string, string>): C;

  /**
   * The series for these label values (positional, in `labelNames` order, or
   * one object). Resolve it once and keep it: the lookup is the cost the
   * child exists to avoid.
   */
  labels(...values: LabelValue[] | [Labels<L>]): C {
    const first = values[0];
    const ordered =
      first !== null && typeof first === 'object' ? this.ordered(first as Labels<L>) : (values as LabelValue[]).map(String);
    if (ordered.length !== this.labelNames.length) {
      throw new Error(`${this.name} takes ${this.labelNames.length} label values (${this.labelNames.join(', ')}), got ${ordered.length}`);
    }
    const key = ordered.join('\u0001');
    let child = this.children.get(key);
    if (!child) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => (labels[n] = ordered[i]));
      child = this.create(labels);
      this.children.set(key, child);
    }
    return child;
  }

  /** Forgets the series with exactly these labels; a child resolved earlier stops being exported. */
  remove(labels: Labels<L>): void {
    this.children.delete(this.ordered(labels).join('\u0001'));
  }

  /** Forgets every series whose labels include all of `match` (a deleted model's versions). */
  removeMatching(match: Labels<L>): void {
    const entries = Object.entries(match) as [string, LabelValue][];
    for (const [key, child] of this.children) {
      if (entries.every(([k, v]) => child.labels[k] === String(v))) this.children.delete(key);
    }
  }

  reset(): void {
    this.children = new Map();
  }

  private ordered(labels: Labels<L>): string[] {
    for (const k of Object.keys(labels)) {
      if (!this.labelNames.includes(k as L)) throw new Error(`${this.name} has no label "${k}"`);
    }
    return this.labelNames.map((n) => {
      const v = labels[n];
      if (v === undefined) throw new Error(`${this.name} needs the label "${n}"`);
      return String(v);
    });
  }
}

export class FastCounter<L extends string = string> extends FastMetric<L, CounterChild> {
  readonly type = 'counter';

  protected create(labels: Record<string, string>): CounterChild {
    return new CounterChild(labels);
  }

  /** prom-client's signature, for cold paths: `inc({model: 'a'}, 2)` or `inc()` on a label-less counter. */
  inc(labels?: Labels<L> | number, n = 1): void {
    if (typeof labels === 'number' || labels === undefined) this.labels().inc(typeof labels === 'number' ? labels : n);
    else this.labels(labels).inc(n);
  }

  async get() {
    const values: SampleOut[] = [];
    for (const c of this.children.values()) values.push({ value: c.value, labels: { ...c.labels } });
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}

export class FastHistogram<L extends string = string> extends FastMetric<L, HistogramChild> {
  readonly type = 'histogram';
  readonly buckets: readonly number[];
  private readonly bounds: Float64Array;

  constructor(config: MetricConfig<L> & { buckets: readonly number[] }) {
    super(config);
    const sorted = [...config.buckets].sort((a, b) => a - b);
    if (sorted.some((b, i) => !Number.isFinite(b) || (i > 0 && b === sorted[i - 1]))) {
      throw new Error(`${config.name}: buckets must be finite and distinct`);
    }
    if (this.labelNames.includes('le' as L)) throw new Error('le is a reserved label name');
    this.buckets = sorted;
    this.bounds = Float64Array.from(sorted);
  }

  protected create(labels: Record<string, string>): HistogramChild {
    return new HistogramChild(labels, this.bounds);
  }

  /** prom-client's signature, for cold paths: `observe({model: 'a'}, 0.2)`. */
  observe(labels: Labels<L> | number, v?: number): void {
    if (typeof labels === 'number') this.labels().observe(labels);
    else this.labels(labels).observe(v as number);
  }

  startTimer(labels?: Labels<L>): () => number {
    return (labels ? this.labels(labels) : this.labels()).startTimer();
  }

  async get() {
    const values: SampleOut[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const c of this.children.values()) {
      let acc = 0;
      for (let i = 0; i < this.bounds.length; i++) {
        acc += c.counts[i];
        values.push({ value: acc, labels: { ...c.labels, le: this.bounds[i] }, metricName: bucketName });
      }
      values.push({ value: c.count, labels: { ...c.labels, le: '+Inf' }, metricName: bucketName });
      values.push({ value: c.sum, labels: { ...c.labels }, metricName: `${this.name}_sum` });
      values.push({ value: c.count, labels: { ...c.labels }, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: this.aggregator };
  }
}
