import { z } from 'zod';
import type { BaselineSketch, FeatureSketch } from './baseline-sketch.js';
import { categoryKey, sortedRecord, type CategoricalSketch } from './categorical-sketch.js';
import { QUANTILE_KEYS, type NumericSketch } from './numeric-sketch.js';

/** Bounds on what an uploaded sketch may hold: the JSON column and every drift check read all of it. */
export const MAX_BINS = 1000;
export const MAX_SAMPLE_SIZE = 100_000;
export const MAX_CATEGORIES = 10_000;

// zod 4's z.number() already refuses NaN and the infinities.
const finite = z.number();
const tally = z.int().min(0);

const quantilesSchema = z.strictObject(
  Object.fromEntries(QUANTILE_KEYS.map((k) => [k, finite])) as Record<(typeof QUANTILE_KEYS)[number], typeof finite>,
);

/**
 * A numeric sketch whose parts agree with each other: the drift checks index
 * counts by edges and compare live proportions with counts / count, so an
 * inconsistent upload would give wrong PSI values rather than an error.
 */
export const numericSketchSchema = z
  .strictObject({
    type: z.literal('numeric'),
    count: z.int().min(1, 'a numeric sketch needs at least one value'),
    missing: tally,
    edges: z.array(finite).min(2, 'needs at least 2 edges (one bin)').max(MAX_BINS + 1, `at most ${MAX_BINS + 1} edges`),
    counts: z.array(tally).max(MAX_BINS),
    quantiles: quantilesSchema,
    mean: finite,
    std: finite.min(0, 'a standard deviation is never negative'),
    min: finite,
    max: finite,
    sample: z.array(finite).max(MAX_SAMPLE_SIZE, `at most ${MAX_SAMPLE_SIZE} sampled values`),
  })
  .superRefine((s, ctx) => {
    const fail = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });
    for (let i = 1; i < s.edges.length; i++) {
      if (!(s.edges[i] > s.edges[i - 1])) return fail(['edges', i], `edges must be strictly increasing (${s.edges[i - 1]} then ${s.edges[i]})`);
    }
    if (s.counts.length !== s.edges.length - 1) {
      return fail(['counts'], `${s.edges.length} edges make ${s.edges.length - 1} bins, but there are ${s.counts.length} counts`);
    }
    const binned = s.counts.reduce((a, b) => a + b, 0);
    if (binned !== s.count) fail(['counts'], `counts sum to ${binned}, but count is ${s.count}`);
    if (s.min > s.max) fail(['max'], `max (${s.max}) is below min (${s.min})`);
    if (s.edges[0] > s.min || s.edges[s.edges.length - 1] < s.max) {
      fail(['edges'], `edges [${s.edges[0]}, ${s.edges[s.edges.length - 1]}] do not cover [min, max] = [${s.min}, ${s.max}]`);
    }
    let previous = s.min;
    for (const k of QUANTILE_KEYS) {
      const q = s.quantiles[k];
      if (q < previous || q > s.max) fail(['quantiles', k], `quantile ${k} (${q}) must lie between the lower quantiles (or min) and max`);
      previous = Math.max(previous, q);
    }
    const slack = 1e-9 * Math.max(Math.abs(s.min), Math.abs(s.max), 1);
    if (s.mean < s.min - slack || s.mean > s.max + slack) fail(['mean'], `mean (${s.mean}) lies outside [min, max]`);
    if (s.sample.length > s.count) fail(['sample'], `${s.sample.length} sampled values from only ${s.count} values`);
    const outside = s.sample.findIndex((v) => v < s.min || v > s.max);
    if (outside >= 0) fail(['sample', outside], `sampled value ${s.sample[outside]} lies outside [min, max]`);
  })
  // The KS test reads the sample sorted; sorting here keeps that a property of every stored sketch.
  .transform((s): NumericSketch => ({ ...s, sample: [...s.sample].sort((a, b) => a - b) }));

/** A categorical sketch; category keys are normalised ("2.0" and "2" are one category) and merged. */
export const categoricalSketchSchema = z
  .strictObject({
    type: z.literal('categorical'),
    count: z.int().min(1, 'a categorical sketch needs at least one value'),
    missing: tally,
    frequencies: z.record(z.string(), tally),
  })
  .superRefine((s, ctx) => {
    const keys = Object.keys(s.frequencies);
    if (keys.length > MAX_CATEGORIES) {
      ctx.addIssue({ code: 'custom', path: ['frequencies'], message: `at most ${MAX_CATEGORIES} categories, not ${keys.length}` });
    }
    const missingKey = keys.find((k) => categoryKey(k) === null);
    if (missingKey !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['frequencies', missingKey],
        message: `"${missingKey}" spells a missing value; count it in "missing" instead`,
      });
    }
    const total = keys.reduce((a, k) => a + s.frequencies[k], 0);
    if (total !== s.count) ctx.addIssue({ code: 'custom', path: ['frequencies'], message: `frequencies sum to ${total}, but count is ${s.count}` });
  })
  .transform((s): CategoricalSketch => {
    const merged = new Map<string, number>();
    for (const [k, n] of Object.entries(s.frequencies)) {
      const key = categoryKey(k)!;
      merged.set(key, (merged.get(key) ?? 0) + n);
    }
    return { ...s, frequencies: sortedRecord(merged) };
  });

export const featureSketchSchema = z.discriminatedUnion('type', [numericSketchSchema, categoricalSketchSchema]);

/**
 * A precomputed baseline someone uploads. `row_count` may be left out; it is
 * then each sketch's count + missing, which must agree across all sketches
 * (they describe the same rows).
 */
export const baselineSketchSchema = z
  .strictObject({
    row_count: z.int().min(1).optional(),
    features: z.record(z.string(), featureSketchSchema),
    prediction: featureSketchSchema,
    label: featureSketchSchema.optional(),
  })
  .superRefine((s, ctx) => {
    const rows = s.row_count ?? s.prediction.count + s.prediction.missing;
    const check = (path: string[], f: FeatureSketch) => {
      if (f.count + f.missing !== rows) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: `count + missing = ${f.count + f.missing}, but the baseline has ${rows} rows${s.row_count === undefined ? ' (per the prediction sketch)' : ''}`,
        });
      }
    };
    for (const [name, f] of Object.entries(s.features)) check(['features', name], f);
    check(['prediction'], s.prediction);
    if (s.label) check(['label'], s.label);
  })
  .transform(
    (s): BaselineSketch => ({
      row_count: s.row_count ?? s.prediction.count + s.prediction.missing,
      features: s.features,
      prediction: s.prediction,
      ...(s.label ? { label: s.label } : {}),
    }),
  );
