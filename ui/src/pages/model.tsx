import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { KeySelf } from '../api/types.js';
import { can } from '../permissions.js';
import { servingSlices } from '../serving.js';
import { AliasForm, RollbackForm, TrafficForm } from '../components/model/actions.js';
import { HistoryTable } from '../components/model/history-table.js';
import { LiveQuality } from '../components/model/live-quality.js';
import { ModelTabs } from '../components/model/model-tabs.js';
import { TrafficBar } from '../components/model/traffic-bar.js';
import { VersionsTable } from '../components/model/versions-table.js';
import { ErrorBox, HealthDot, Loading, Section } from '../components/status.js';
import { useLoad } from '../use-load.js';
import { Tags } from './models.js';

export function ModelPage({ name, self }: { name: string; self: KeySelf }) {
  const monitor = can(self, 'monitor:read');
  const core = useLoad(() => Promise.all([api.model(name), api.versions(name), api.history(name)]), [name]);
  const health = useLoad(() => (monitor ? api.alerts({ state: 'firing', model: name, limit: 100 }) : Promise.resolve(null)), [name, monitor]);
  const perf = useLoad(() => (monitor ? api.performance(name, { bucket: 86_400 }) : Promise.resolve(null)), [name, monitor]);
  const [notice, setNotice] = useState('');

  // The browser test reads these marks: interactive once the model, its split, actions and history are drawn; complete once live quality is too.
  useEffect(() => {
    if (core.data) performance.mark('modelgate:model-interactive');
  }, [!!core.data]);
  useEffect(() => {
    if (core.data && !perf.loading && !health.loading) performance.mark('modelgate:model-complete');
  }, [core.data, perf.loading, health.loading]);

  if (core.error) return <ErrorBox error={core.error} />;
  if (!core.data) return <Loading what={`model ${name}`} />;
  const [model, { versions }, { revisions }] = core.data;
  const done = (message: string) => {
    setNotice(message);
    core.reload();
  };

  return (
    <div data-ready={!perf.loading && !health.loading ? 'true' : undefined}>
      <h1>
        {model.name} {health.data && <HealthDot firing={health.data.alerts.length} />}
      </h1>
      <p>
        {model.task.replace(/_/g, ' ')}
        {model.owner ? ` · owner ${model.owner}` : ''} · {model.latest_version ? `latest version v${model.latest_version}` : 'no versions yet'}
      </p>
      {model.description && <p>{model.description}</p>}
      <Tags tags={model.tags} />
      <ModelTabs name={name} current="overview" />
      <p role="status" class="notice" aria-live="polite">
        {notice}
      </p>
      <Section title="What serves" id="serving">
        <TrafficBar slices={servingSlices(model.aliases, model.traffic_policy)} />
        <table class="list">
          <caption>Aliases</caption>
          <thead>
            <tr>
              <th scope="col">Alias</th>
              <th scope="col">Version</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(model.aliases).map(([a, v]) => (
              <tr key={a}>
                <th scope="row">{a}</th>
                <td>v{v}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Section>
      {monitor && (
        <Section title="Live quality" id="quality">
          {perf.error ? <ErrorBox error={perf.error} /> : perf.data ? <LiveQuality perf={perf.data} /> : <Loading what="live quality" />}
        </Section>
      )}
      <Section title="Actions" id="actions">
        <div class="actions">
          <AliasForm model={model} versions={versions} self={self} onDone={done} />
          <TrafficForm key={model.serving_revision} model={model} versions={versions} self={self} onDone={done} />
          <RollbackForm model={model} self={self} onDone={done} />
        </div>
      </Section>
      <Section title="Versions" id="versions">
        <VersionsTable name={name} versions={versions} />
      </Section>
      <Section title="History" id="history">
        <HistoryTable revisions={revisions} />
      </Section>
    </div>
  );
}
