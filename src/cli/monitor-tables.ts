/**
 * The monitor's answers as tables, each for the question its command asks:
 * `drift` (which windows drifted, in which features, by how much),
 * `drift --window` (one window's per-feature tests), `performance` (is the
 * live AUC where validation said, and do variants differ) and `alerts` (what
 * fires, since when, who took it). Pure: the shapes are the service's JSON.
 */
import { table } from './table.js';

/** RFC 3339 without milliseconds: short, and what `--window` takes back. */
export function instant(iso: string | null | undefined): string {
  return iso ? new Date(iso).toISOString().replace(/\.\d{3}Z$/, 'Z') : '-';
}

/** Three decimals, or scientific notation for what three decimals would show as zero (p-values). */
export function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined) return '-';
  if (x !== 0 && Math.abs(x) < 10 ** -digits) return x.toExponential(1);
  return x.toFixed(digits);
}

interface FeatureResult {
  feature: string;
  kind: 'numeric' | 'categorical';
  psi: number | null;
  ks_statistic: number | null;
  ks_p_value: number | null;
  chi2_p_value: number | null;
  js_distance: number | null;
  thresholds: { psi_threshold?: number; ks_alpha?: number; ks_min_statistic?: number; chi2_alpha?: number; js_min_distance?: number };
  drifted: boolean;
}

interface DriftCheck {
  version: number;
  variant: string;
  window_start: string;
  window_end: string;
  rows: number;
  judged: boolean;
  features: FeatureResult[];
  drifted_features: string[];
  prediction: FeatureResult | null;
  prediction_drifted: boolean;
  data_quality_failed: string[];
}

/** The scores that speak for one feature: PSI and KS for numeric, chi-square and JS for categorical. */
function scores(f: FeatureResult): string {
  return f.kind === 'numeric' ? `psi=${num(f.psi)} ks=${num(f.ks_statistic)}` : `chi2_p=${num(f.chi2_p_value)} js=${num(f.js_distance)}`;
}

function verdict(c: DriftCheck): string {
  if (!c.judged) return 'not judged';
  return c.drifted_features.length || c.prediction_drifted ? 'drifted' : 'ok';
}

/** One row per window and series, newest first: verdict, drifted features with their scores, the prediction. */
export function driftTable(answer: { checks: DriftCheck[] }): string {
  if (!answer.checks.length) return '(no drift checks yet: a window is checked once it has ended and two flush periods passed)';
  return table(
    ['window', 'version', 'variant', 'rows', 'verdict', 'prediction', 'drifted features'],
    answer.checks.map((c) => {
      const byName = new Map(c.features.map((f) => [f.feature, f]));
      const drifted = c.drifted_features.map((name) => {
        const f = byName.get(name);
        return f ? `${name} (${scores(f)})` : name;
      });
      const prediction = !c.judged || !c.prediction ? '-' : `${c.prediction_drifted ? 'drifted' : 'ok'} (${scores(c.prediction)})`;
      return [instant(c.window_start), c.version, c.variant, c.rows, verdict(c), prediction, drifted.join('; ') || '-'];
    }),
  );
}

/** One line per test applied to a feature: its score against the threshold that decided it. */
function testRows(f: FeatureResult, judged: boolean): (string | number)[][] {
  const t = f.thresholds;
  const mark = (d: boolean) => (!judged ? '-' : d ? 'yes' : 'no');
  if (f.kind === 'numeric') {
    const psiOver = f.psi !== null && t.psi_threshold !== undefined && f.psi >= t.psi_threshold;
    const ksOver = f.ks_p_value !== null && f.ks_statistic !== null && t.ks_alpha !== undefined && f.ks_p_value < t.ks_alpha && f.ks_statistic >= (t.ks_min_statistic ?? 0);
    return [
      [f.feature, 'psi', num(f.psi), t.psi_threshold === undefined ? '-' : `>= ${t.psi_threshold}`, mark(psiOver)],
      [f.feature, 'ks', `${num(f.ks_statistic)} (p ${num(f.ks_p_value)})`, `>= ${t.ks_min_statistic ?? '-'} and p < ${num(t.ks_alpha, 4)}`, mark(ksOver)],
    ];
  }
  const chiOver = f.chi2_p_value !== null && t.chi2_alpha !== undefined && f.chi2_p_value < t.chi2_alpha;
  const jsOver = f.js_distance !== null && t.js_min_distance !== undefined && f.js_distance >= t.js_min_distance;
  return [
    [f.feature, 'chi_square', `p ${num(f.chi2_p_value)}`, `p < ${num(t.chi2_alpha, 4)}`, mark(chiOver)],
    [f.feature, 'jensen_shannon', num(f.js_distance), `>= ${t.js_min_distance ?? '-'}`, mark(jsOver)],
  ];
}

/**
 * One window's per-feature table for each series checked in it. A feature
 * is drifted when its decision says so (PSI alone, or KS with its effect
 * size; chi-square with JS for categorical); each test's own line shows
 * which one crossed its threshold.
 */
export function windowTable(answer: { checks: DriftCheck[] }, start: string): string {
  const checks = answer.checks.filter((c) => Date.parse(c.window_start) === Date.parse(start));
  if (!checks.length) return `(no drift check for a window starting at ${instant(start)})`;
  return checks
    .map((c) => {
      const head = `window ${instant(c.window_start)} to ${instant(c.window_end)}, version ${c.version}, variant ${c.variant}: ${c.rows} rows, ${c.judged ? verdict(c) : 'not judged (fewer rows than min_samples)'}`;
      const features = [...c.features, ...(c.prediction ? [{ ...c.prediction, feature: `${c.prediction.feature} (prediction)` }] : [])];
      const rows = features.flatMap((f) => testRows(f, c.judged).map((r, k) => [...r, k === 0 ? (!c.judged ? '-' : f.drifted ? 'DRIFTED' : 'ok') : '']));
      const dq = c.data_quality_failed.length ? `\ndata quality failed: ${c.data_quality_failed.join(', ')}` : '';
      return `${head}\n${table(['feature', 'method', 'score', 'threshold', 'crossed', 'drifted'], rows)}${dq}`;
    })
    .join('\n\n');
}

interface Band {
  value: number;
  low: number;
  high: number;
}
interface SeriesWindow {
  predictions: number;
  labels: number;
  auc: number | null;
  /** CBPE's estimate from the scores alone: present only where the version's calibration allows. */
  estimated_auc?: Band | null;
  rmse: number | null;
  mae: number | null;
}
interface Series {
  version: number;
  variant: string;
  validation: Record<string, number>;
  window: SeriesWindow;
}
interface Comparison {
  a: { version: number; variant: string };
  b: { version: number; variant: string };
  difference?: number | null;
  p_value: number | null;
}

const seriesName = (s: { version: number; variant: string }) => `${s.variant}@${s.version}`;

/** An estimate reads as one: `~0.9751 (0.9689-0.9813)`; `-` where the version cannot be estimated. */
const estimate = (b: Band | null | undefined): string => (b ? `~${num(b.value)} (${num(b.low)}-${num(b.high)})` : '-');

/**
 * Per series: predictions, labels, live AUC beside the validation AUC, and
 * DeLong's p-value against the series with the most labels (the reference,
 * usually production), and CBPE's estimated AUC with its 95% band (from
 * the scores alone, before labels; `~` marks it an estimate, `-` where the
 * version's calibration allows none). Regression shows RMSE and MAE instead.
 */
export function performanceTable(answer: { task: string; from: string; to: string; series: Series[]; comparisons: Comparison[] }): string {
  if (!answer.series.length) return `(no predictions from ${instant(answer.from)} to ${instant(answer.to)})`;
  const range = `from ${instant(answer.from)} to ${instant(answer.to)}`;
  if (answer.task === 'regression') {
    return `${range}\n${table(
      ['version', 'variant', 'predictions', 'labels', 'rmse', 'mae', 'validation rmse'],
      answer.series.map((s) => [s.version, s.variant, s.window.predictions, s.window.labels, num(s.window.rmse), num(s.window.mae), num(s.validation.rmse)]),
    )}`;
  }
  const reference = [...answer.series].sort((x, y) => y.window.labels - x.window.labels)[0];
  const pAgainstReference = (s: Series): string => {
    if (s === reference) return answer.comparisons.length ? 'reference' : '-';
    const c = answer.comparisons.find(
      (x) => (seriesName(x.a) === seriesName(s) && seriesName(x.b) === seriesName(reference)) || (seriesName(x.b) === seriesName(s) && seriesName(x.a) === seriesName(reference)),
    );
    return c ? num(c.p_value) : '-';
  };
  return `${range}; DeLong's p-value against ${reference.variant} (version ${reference.version})\n${table(
    ['version', 'variant', 'predictions', 'labels', 'auc', 'estimated auc (95%)', 'validation auc', 'delong p'],
    answer.series.map((s) => [s.version, s.variant, s.window.predictions, s.window.labels, num(s.window.auc), estimate(s.window.estimated_auc), num(s.validation.auc), pAgainstReference(s)]),
  )}`;
}

interface SourceComparison {
  version: number;
  variant: string;
  auc_a?: number | null;
  auc_b?: number | null;
  difference?: number | null;
  p_value: number | null;
}

/**
 * `performance --split feature_source`: the table of each source (`sent`,
 * `looked_up`), then per series DeLong's test of its looked-up AUC against
 * its sent AUC: where skew in looked-up features shows.
 */
export function splitPerformanceTable(answer: {
  task: string;
  from: string;
  to: string;
  feature_sources: Record<'sent' | 'looked_up', { series: Series[]; comparisons: Comparison[] }>;
  source_comparisons: SourceComparison[];
}): string {
  const parts = (['sent', 'looked_up'] as const).map((source) => `feature source ${source}: ${performanceTable({ ...answer, ...answer.feature_sources[source] })}`);
  if (answer.source_comparisons.length) {
    parts.push(
      `looked_up against sent (DeLong):\n${table(
        ['version', 'variant', 'looked_up auc', 'sent auc', 'difference', 'delong p'],
        answer.source_comparisons.map((c) => [c.version, c.variant, num(c.auc_a ?? null), num(c.auc_b ?? null), num(c.difference ?? null), num(c.p_value)]),
      )}`,
    );
  }
  return parts.join('\n\n');
}

interface AlertView {
  id: string;
  model: string;
  version: number;
  variant: string;
  rule: string;
  severity: string;
  state: 'firing' | 'resolved';
  acknowledged: boolean;
  silenced_by: string | null;
  summary: string;
  started_at: string;
  resolved_at: string | null;
  resolve_reason: string | null;
  acknowledgements: { actor: string; at: string }[];
}

/** Newest first: what fires where, its state and since when, who acknowledged it, and the one-line summary on-call reads. */
export function alertsTable(answer: { alerts: AlertView[] }): string {
  if (!answer.alerts.length) return '(no alerts)';
  return table(
    ['id', 'model', 'version', 'variant', 'rule', 'severity', 'state', 'since', 'acknowledged by', 'summary'],
    answer.alerts.map((a) => {
      const ack = a.acknowledgements[0];
      const state = a.state === 'resolved' ? `resolved${a.resolve_reason ? ` (${a.resolve_reason})` : ''}` : a.acknowledged ? 'acknowledged' : a.silenced_by ? 'firing (silenced)' : 'firing';
      const since = a.state === 'resolved' ? a.resolved_at : a.acknowledged && ack ? ack.at : a.started_at;
      return [a.id, a.model, a.version, a.variant, a.rule, a.severity, state, instant(since), ack?.actor ?? '-', a.summary];
    }),
  );
}
