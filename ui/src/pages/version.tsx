import { api } from '../api/client.js';
import type { FeatureSketch, TensorSpec } from '../api/types.js';
import { href } from '../router.js';
import { Histogram } from '../components/histogram.js';
import { ErrorBox, fmt, Loading, Section } from '../components/status.js';
import { useLoad } from '../use-load.js';

function Tensors({ caption, list }: { caption: string; list: TensorSpec[] | undefined }) {
  if (!list?.length) return <p>No {caption.toLowerCase()} recorded.</p>;
  return (
    <table class="list">
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Name</th>
          <th scope="col">Type</th>
          <th scope="col">Shape</th>
        </tr>
      </thead>
      <tbody>
        {list.map((t) => (
          <tr key={t.name}>
            <th scope="row">{t.name}</th>
            <td>{t.datatype ?? t.type ?? '—'}</td>
            <td>[{t.shape.map((d) => (d === null || d === -1 ? 'N' : String(d))).join(', ')}]</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function summary(s: FeatureSketch | undefined): string {
  if (!s) return 'no baseline';
  if (s.type === 'numeric') return `mean ${fmt.num(s.mean)}, std ${fmt.num(s.std)}, range ${fmt.num(s.min)} to ${fmt.num(s.max)}`;
  return `${Object.keys(s.frequencies).length} categories`;
}

export function VersionPage({ name, version }: { name: string; version: number }) {
  const v = useLoad(() => Promise.all([api.version(name, version), api.baseline(name, version)]), [name, version]);
  if (v.error) return <ErrorBox error={v.error} />;
  if (!v.data) return <Loading what={`version ${version}`} />;
  const [ver, { baseline }] = v.data;
  const features = ver.feature_names ?? ver.signature.inputs?.map((i) => i.name) ?? [];
  const categorical = new Set(ver.categorical_features ?? []);
  return (
    <>
      <p>
        <a href={href.model(name)}>← {name}</a>
      </p>
      <h1>
        {name} version {version}
      </h1>
      <p>
        {ver.status}
        {ver.aliases.length ? ` · aliases ${ver.aliases.join(', ')}` : ''} · created {fmt.time(ver.created_at)} by {ver.created_by} · sha256{' '}
        <code>{ver.artifact.sha256.slice(0, 12)}…</code>
      </p>
      {ver.description && <p>{ver.description}</p>}
      <Section title="Signature" id="signature">
        <Tensors caption="Inputs" list={ver.signature.inputs} />
        <Tensors caption="Outputs" list={ver.signature.outputs} />
        <p>
          Score output: {ver.score_output ?? 'none'} · label column: {ver.label_column ?? 'none'}
        </p>
      </Section>
      <Section title="Features" id="features">
        <table class="list">
          <caption>{features.length} features, in the model's order</caption>
          <thead>
            <tr>
              <th scope="col">Feature</th>
              <th scope="col">Kind</th>
              <th scope="col">Baseline</th>
              <th scope="col">Missing in baseline</th>
            </tr>
          </thead>
          <tbody>
            {features.map((f) => (
              <tr key={f}>
                <th scope="row">{f}</th>
                <td>{categorical.has(f) ? 'categorical' : 'numeric'}</td>
                <td>{summary(baseline?.features[f])}</td>
                <td>{baseline?.features[f] ? baseline.features[f].missing : '—'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      <Section title="Baseline histograms" id="baseline">
        {!baseline ? (
          <p>This version was uploaded without a baseline.</p>
        ) : (
          <div class="grid">
            {features
              .filter((f) => baseline.features[f])
              .map((f) => (
                <Histogram key={f} title={`${f}: baseline`} sketch={baseline.features[f]} height={160} />
              ))}
            {baseline.prediction && <Histogram title="score: baseline" sketch={baseline.prediction} height={160} />}
          </div>
        )}
      </Section>
    </>
  );
}
