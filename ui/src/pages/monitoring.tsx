import { useCallback, useMemo, useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { DriftCheck } from '../api/types.js';
import { Histogram } from '../components/histogram.js';
import { ModelTabs } from '../components/model/model-tabs.js';
import { DataQualityTable } from '../components/monitoring/data-quality.js';
import { DriftOverTime } from '../components/monitoring/drift-over-time.js';
import { FeatureDriftTable, FeatureHistograms, statistic } from '../components/monitoring/feature-drift.js';
import { LiveAuc } from '../components/monitoring/live-auc.js';
import { ErrorBox, fmt, Loading, Section } from '../components/status.js';
import { useLoad } from '../use-load.js';

const RANGES = [
  { id: '1h', label: 'last hour', seconds: 3600, bucket: 300 },
  { id: '24h', label: 'last 24 hours', seconds: 86_400, bucket: 3600 },
  { id: '7d', label: 'last 7 days', seconds: 7 * 86_400, bucket: 6 * 3600 },
];

const seriesKey = (c: { version: number; variant: string }) => `${c.version}:${c.variant}`;

export function MonitoringPage({ name, search }: { name: string; search: URLSearchParams }) {
  const [rangeId, setRangeId] = useState(search.get('range') ?? '24h');
  const range = RANGES.find((r) => r.id === rangeId) ?? RANGES[1];
  // Both answers cover the same range, measured from when the page asked.
  const now = useMemo(() => new Date(), [rangeId]);
  const from = new Date(now.getTime() - range.seconds * 1000).toISOString();
  const drift = useLoad(() => api.drift(name, { from, limit: 500 }), [name, from]);
  const perf = useLoad(() => api.performance(name, { from, to: now.toISOString(), bucket: range.bucket }), [name, from]);

  const checks = drift.data?.checks ?? [];
  const seriesList = [...new Set(checks.map(seriesKey))];
  const [chosenSeries, setSeries] = useState<string | null>(search.get('series'));
  const series = chosenSeries && seriesList.includes(chosenSeries) ? chosenSeries : seriesList[0];
  const ofSeries = checks.filter((c) => seriesKey(c) === series);
  const [chosenWindow, setWindow] = useState<string | null>(null);
  const check: DriftCheck | undefined = ofSeries.find((c) => c.id === chosenWindow) ?? ofSeries[0];
  const version = check?.version;
  const baseline = useLoad(() => (version ? api.baseline(name, version) : Promise.resolve(null)), [name, version]);
  const features = check ? [...check.features].sort((a, b) => Number(b.drifted) - Number(a.drifted) || a.feature.localeCompare(b.feature)).map((f) => f.feature) : [];
  const [chosenFeature, setFeature] = useState<string | null>(null);
  const feature = chosenFeature && features.includes(chosenFeature) ? chosenFeature : features[0];
  const pickFeature = useCallback((c: DriftCheck) => c.features.find((f) => f.feature === feature), [feature]);
  const pickScore = useCallback((c: DriftCheck) => c.prediction, []);

  return (
    <>
      <h1>{name}: monitoring</h1>
      <ModelTabs name={name} current="monitoring" />
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label for="mon-range">Range</label>
          <select id="mon-range" value={range.id} onChange={(e) => setRangeId((e.target as HTMLSelectElement).value)}>
            {RANGES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="mon-series">Series (version and variant)</label>
          <select id="mon-series" value={series} onChange={(e) => (setSeries((e.target as HTMLSelectElement).value), setWindow(null))} disabled={!seriesList.length}>
            {seriesList.map((s) => (
              <option key={s} value={s}>
                v{s.replace(':', ' · ')}
              </option>
            ))}
          </select>
        </div>
        <div>
          <label for="mon-window">Window</label>
          <select id="mon-window" value={check?.id} onChange={(e) => setWindow((e.target as HTMLSelectElement).value)} disabled={!ofSeries.length}>
            {ofSeries.map((c) => (
              <option key={c.id} value={c.id}>
                {fmt.time(c.window_start)} · {c.rows} rows{c.drifted_features.length ? ` · ${c.drifted_features.length} drifted` : ''}
              </option>
            ))}
          </select>
        </div>
      </form>
      {drift.error && <ErrorBox error={drift.error} />}
      {!drift.data && !drift.error && <Loading what="drift checks" />}
      {drift.data && !check && <p>No drift checks in the {range.label}: no window with predictions has closed yet.</p>}
      {check && (
        <>
          <Section title="Feature drift" id="feature-drift">
            <FeatureDriftTable check={check} />
            {baseline.data?.baseline ? <FeatureHistograms check={check} baseline={baseline.data.baseline} /> : baseline.loading ? <Loading what="the baseline" /> : <p>No baseline for this version.</p>}
          </Section>
          <Section title="Drift over time" id="drift-over-time">
            <div class="filters">
              <div>
                <label for="mon-feature">Feature</label>
                <select id="mon-feature" value={feature} onChange={(e) => setFeature((e.target as HTMLSelectElement).value)}>
                  {features.map((f) => (
                    <option key={f} value={f}>
                      {f}
                    </option>
                  ))}
                </select>
              </div>
            </div>
            <DriftOverTime title={`${feature}: drift statistic per window`} checks={ofSeries} pick={pickFeature} />
          </Section>
          <Section title="Prediction drift" id="prediction-drift">
            {check.prediction ? (
              <>
                <p class={check.prediction_drifted ? 'drifted-text' : undefined}>
                  Score in this window: {check.prediction_drifted ? <strong class="badge bad">Drifted</strong> : <span class="badge ok">OK</span>} ·{' '}
                  {statistic(check.prediction).name} {fmt.num(statistic(check.prediction).value)} · KS p-value {fmt.p(check.prediction.ks_p_value)}
                </p>
                {baseline.data?.baseline?.prediction && <Histogram title="score: baseline against the window" sketch={baseline.data.baseline.prediction} live={check.prediction.live_counts} />}
                <DriftOverTime title="score: drift statistic per window" checks={ofSeries} pick={pickScore} />
              </>
            ) : (
              <p>This version has no score baseline, so its predictions are not checked for drift.</p>
            )}
          </Section>
          <Section title="Data quality" id="data-quality">
            <DataQualityTable check={check} />
          </Section>
        </>
      )}
      <Section title="Live quality against validation" id="live-auc">
        {perf.error ? <ErrorBox error={perf.error} /> : perf.data ? <LiveAuc perf={perf.data} /> : <Loading what="live quality" />}
      </Section>
    </>
  );
}
