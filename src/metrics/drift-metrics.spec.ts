import { describe, expect, it } from 'vitest';
import { DRIFT_METRIC_NAMES, DriftMetrics, type GaugeSource } from './drift-metrics.js';
import { Metrics } from './metrics.js';

const check = (variant: string, drifted: boolean): GaugeSource => ({
  model_name: 'loan',
  version: 3,
  variant,
  features: [
    { feature: 'age', psi: 0.31, ks_statistic: 0.2, chi2_p_value: null, js_distance: null, drifted },
    { feature: 'region', psi: null, ks_statistic: null, chi2_p_value: 0.5, js_distance: 0.02, drifted: false },
  ],
  prediction: { psi: 0.4, ks_statistic: 0.25, chi2_p_value: null, js_distance: null, drifted: true },
  data_quality: [
    { feature: 'age', missing_rate: 0.2, out_of_range_rate: 0.01, unseen_rate: null },
    { feature: 'region', missing_rate: 0, out_of_range_rate: null, unseen_rate: 0.03 },
  ],
});

describe('drift gauges', () => {
  it('exports every drift metric with its help text from the latest checks', async () => {
    const m = new Metrics();
    new DriftMetrics(m).setFrom([check('main', true)]);
    const text = await m.render();
    for (const name of DRIFT_METRIC_NAMES) expect(text).toMatch(new RegExp(`^# HELP ${name} \\S`, 'm'));
    expect(text).toContain('modelgate_feature_drift_score{model="loan",version="3",variant="main",feature="age",method="psi"} 0.31');
    expect(text).toContain('modelgate_feature_drift_score{model="loan",version="3",variant="main",feature="region",method="js"} 0.02');
    expect(text).toContain('modelgate_feature_drifted{model="loan",version="3",variant="main",feature="age"} 1');
    expect(text).toContain('modelgate_prediction_drift_score{model="loan",version="3",variant="main",method="ks"} 0.25');
    expect(text).toContain('modelgate_prediction_drifted{model="loan",version="3",variant="main"} 1');
    expect(text).toContain('modelgate_data_missing_rate{model="loan",version="3",variant="main",feature="age"} 0.2');
    expect(text).toContain('modelgate_data_out_of_range_rate{model="loan",version="3",variant="main",feature="age"} 0.01');
    expect(text).toContain('modelgate_data_unseen_rate{model="loan",version="3",variant="main",feature="region"} 0.03');
    expect(text).not.toContain('modelgate_data_unseen_rate{model="loan",version="3",variant="main",feature="age"}');
  });

  it('drops the series of a check that is no longer the latest set', async () => {
    const m = new Metrics();
    const d = new DriftMetrics(m);
    d.setFrom([check('main', true)]);
    d.setFrom([check('shadow', false)]);
    const text = await m.render();
    expect(text).not.toContain('variant="main"');
    expect(text).toContain('modelgate_feature_drifted{model="loan",version="3",variant="shadow",feature="age"} 0');
  });
});
