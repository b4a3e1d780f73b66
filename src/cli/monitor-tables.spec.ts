import { describe, expect, it } from 'vitest';
import { alertsTable, driftTable, instant, num, performanceTable, splitPerformanceTable, windowTable } from './monitor-tables.js';

const numeric = (feature: string, psi: number, ks: number, p: number, drifted: boolean) => ({
  feature,
  kind: 'numeric' as const,
  psi,
  ks_statistic: ks,
  ks_p_value: p,
  chi2_p_value: null,
  js_distance: null,
  thresholds: { psi_threshold: 0.2, ks_alpha: 0.05 / 3, ks_min_statistic: 0.1 },
  drifted,
});
const region = {
  feature: 'region',
  kind: 'categorical' as const,
  psi: null,
  ks_statistic: null,
  ks_p_value: null,
  chi2_p_value: 0.41,
  js_distance: 0.02,
  thresholds: { chi2_alpha: 0.05 / 3, js_min_distance: 0.1 },
  drifted: false,
};
const check = (start: string, over: Record<string, unknown>) => ({
  version: 1,
  variant: 'v1',
  window_start: start,
  window_end: new Date(Date.parse(start) + 10_000).toISOString(),
  rows: 1344,
  judged: true,
  features: [numeric('income', 0.242, 0.206, 7.9e-40, true), numeric('age', 0.013, 0.02, 0.76, false), region],
  drifted_features: ['income'],
  prediction: { ...numeric('score', 0.05, 0.04, 0.2, false) },
  prediction_drifted: false,
  data_quality_failed: [],
  ...over,
});

describe('monitor tables', () => {
  it('writes instants without milliseconds and p-values too small for three decimals in scientific notation', () => {
    expect(instant('2026-12-07T15:56:30.000Z')).toBe('2026-12-07T15:56:30Z');
    expect(num(7.9e-40)).toBe('7.9e-40');
    expect(num(0.2424)).toBe('0.242');
    expect(num(0)).toBe('0.000');
    expect(num(null)).toBe('-');
  });

  it("shows each window's verdict with the drifted features and their scores", () => {
    const out = driftTable({
      checks: [
        check('2026-12-07T15:56:30.000Z', {}),
        check('2026-12-07T15:56:20.000Z', { drifted_features: [], features: [numeric('income', 0.01, 0.02, 0.5, false)] }),
        check('2026-12-07T15:56:20.000Z', { variant: 'v2', version: 2, rows: 150, judged: false, drifted_features: [] }),
      ],
    }).split('\n');
    expect(out[0]).toMatch(/^WINDOW\s+VERSION\s+VARIANT\s+ROWS\s+VERDICT\s+PREDICTION\s+DRIFTED FEATURES$/);
    expect(out[1]).toMatch(/^2026-12-07T15:56:30Z\s+1\s+v1\s+1344\s+drifted\s+ok \(psi=0\.050 ks=0\.040\)\s+income \(psi=0\.242 ks=0\.206\)$/);
    expect(out[2]).toMatch(/^2026-12-07T15:56:20Z\s+1\s+v1\s+1344\s+ok\s+ok .*\s+-$/);
    expect(out[3]).toMatch(/^2026-12-07T15:56:20Z\s+2\s+v2\s+150\s+not judged\s+-\s+-$/);
    expect(driftTable({ checks: [] })).toMatch(/no drift checks yet/);
  });

  it("shows one window's tests per feature: method, score, threshold, whether it crossed, and the feature's verdict", () => {
    const out = windowTable({ checks: [check('2026-12-07T15:56:30.000Z', {})] }, '2026-12-07T15:56:30Z');
    const lines = out.split('\n');
    expect(lines[0]).toBe('window 2026-12-07T15:56:30Z to 2026-12-07T15:56:40Z, version 1, variant v1: 1344 rows, drifted');
    expect(lines[1]).toMatch(/^FEATURE\s+METHOD\s+SCORE\s+THRESHOLD\s+CROSSED\s+DRIFTED$/);
    expect(out).toMatch(/^income\s+psi\s+0\.242\s+>= 0\.2\s+yes\s+DRIFTED$/m);
    expect(out).toMatch(/^income\s+ks\s+0\.206 \(p 7\.9e-40\)\s+>= 0\.1 and p < 0\.0167\s+yes$/m);
    expect(out).toMatch(/^age\s+psi\s+0\.013\s+>= 0\.2\s+no\s+ok$/m);
    expect(out).toMatch(/^region\s+chi_square\s+p 0\.410\s+p < 0\.0167\s+no\s+ok$/m);
    expect(out).toMatch(/^region\s+jensen_shannon\s+0\.020\s+>= 0\.1\s+no$/m);
    expect(out).toMatch(/^score \(prediction\)\s+psi\s+0\.050/m);
    expect(windowTable({ checks: [] }, '2026-12-07T15:56:30Z')).toMatch(/no drift check for a window starting at/);
  });

  it("shows AUC, labels, validation AUC and DeLong's p-value against the variant with the most labels", () => {
    const series = (variant: string, version: number, labels: number, auc: number) => ({
      version,
      variant,
      validation: { auc: 0.9768 },
      window: { predictions: labels, labels, auc, rmse: null, mae: null, ...(version === 1 ? { estimated_auc: { value: 0.9751, low: 0.9689, high: 0.9813 } } : {}) },
    });
    const out = performanceTable({
      task: 'binary_classification',
      from: '2026-12-07T15:00:00.000Z',
      to: '2026-12-07T16:00:00.000Z',
      series: [series('v2', 2, 320, 0.693), series('v1', 1, 2680, 0.975)],
      comparisons: [{ a: { version: 2, variant: 'v2' }, b: { version: 1, variant: 'v1' }, difference: -0.282, p_value: 1.5e-18 }],
    });
    expect(out).toMatch(/^from 2026-12-07T15:00:00Z to 2026-12-07T16:00:00Z; DeLong's p-value against v1 \(version 1\)$/m);
    expect(out).toMatch(/^VERSION\s+VARIANT\s+PREDICTIONS\s+LABELS\s+AUC\s+ESTIMATED AUC \(95%\)\s+VALIDATION AUC\s+DELONG P$/m);
    // A version without calibration has no estimate; one with it reads as an estimate, with its band.
    expect(out).toMatch(/^2\s+v2\s+320\s+320\s+0\.693\s+-\s+0\.977\s+1\.5e-18$/m);
    expect(out).toMatch(/^1\s+v1\s+2680\s+2680\s+0\.975\s+~0\.975 \(0\.969-0\.981\)\s+0\.977\s+reference$/m);
  });

  it('prints one table per feature source and DeLong of looked_up against sent with --split feature_source', () => {
    const series = (labels: number, auc: number) => ({ version: 1, variant: 'v1', validation: { auc: 0.98 }, window: { predictions: labels, labels, auc, rmse: null, mae: null } });
    const out = splitPerformanceTable({
      task: 'binary_classification',
      from: '2026-12-07T15:00:00.000Z',
      to: '2026-12-07T16:00:00.000Z',
      feature_sources: { sent: { series: [series(80, 0.99)], comparisons: [] }, looked_up: { series: [], comparisons: [] } },
      source_comparisons: [{ version: 1, variant: 'v1', auc_a: 0.71, auc_b: 0.99, difference: -0.28, p_value: 1.2e-7 }],
    });
    expect(out).toMatch(/^feature source sent: from 2026-12-07T15:00:00Z to 2026-12-07T16:00:00Z; DeLong's p-value against v1 \(version 1\)$/m);
    expect(out).toMatch(/^1\s+v1\s+80\s+80\s+0\.990\s+-\s+0\.980\s+-$/m);
    expect(out).toMatch(/^feature source looked_up: \(no predictions from 2026-12-07T15:00:00Z to 2026-12-07T16:00:00Z\)$/m);
    expect(out).toMatch(/^VERSION\s+VARIANT\s+LOOKED_UP AUC\s+SENT AUC\s+DIFFERENCE\s+DELONG P$/m);
    expect(out).toMatch(/^1\s+v1\s+0\.710\s+0\.990\s+-0\.280\s+1\.2e-7$/m);
  });

  it('shows each alert with its summary, state, since when and who acknowledged it', () => {
    const base = {
      model: 'credit',
      version: 2,
      variant: 'v2',
      rule: 'auc',
      severity: 'critical',
      silenced_by: null,
      summary: 'live AUC 0.6867 (bar 0.9268, 164 labels)',
      started_at: '2026-12-07T15:56:30.000Z',
      resolve_reason: null,
      resolved_at: null,
    };
    const out = alertsTable({
      alerts: [
        { ...base, id: 'a1', state: 'firing', acknowledged: true, acknowledgements: [{ actor: 'oncall', at: '2026-12-07T15:57:00.000Z' }] },
        { ...base, id: 'a2', state: 'resolved', acknowledged: false, resolved_at: '2026-12-07T15:58:00.000Z', resolve_reason: 'not serving', acknowledgements: [] },
        { ...base, id: 'a3', rule: 'feature_drift', state: 'firing', acknowledged: false, acknowledgements: [] },
      ],
    });
    expect(out).toMatch(/^ID\s+MODEL\s+VERSION\s+VARIANT\s+RULE\s+SEVERITY\s+STATE\s+SINCE\s+ACKNOWLEDGED BY\s+SUMMARY$/m);
    expect(out).toMatch(/^a1\s+credit\s+2\s+v2\s+auc\s+critical\s+acknowledged\s+2026-12-07T15:57:00Z\s+oncall\s+live AUC 0\.6867 \(bar 0\.9268, 164 labels\)$/m);
    expect(out).toMatch(/^a2\s+.*resolved \(not serving\)\s+2026-12-07T15:58:00Z\s+-\s+live AUC/m);
    expect(out).toMatch(/^a3\s+.*feature_drift\s+critical\s+firing\s+2026-12-07T15:56:30Z\s+-/m);
    expect(alertsTable({ alerts: [] })).toBe('(no alerts)');
  });
});
