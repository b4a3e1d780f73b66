import { useEffect, useState } from 'preact/hooks';
import { api } from '../api/client.js';
import type { KeySelf } from '../api/types.js';
import { can } from '../permissions.js';
import { href, navigate } from '../router.js';
import { servingSummary } from '../serving.js';
import { ErrorBox, HealthDot, Loading } from '../components/status.js';
import { useLoad } from '../use-load.js';

/** Firing alerts per model, for the health dots: one request for the whole list. */
export async function firingByModel(): Promise<Map<string, number>> {
  const { alerts } = await api.alerts({ state: 'firing', limit: 500 });
  const out = new Map<string, number>();
  for (const a of alerts) out.set(a.model, (out.get(a.model) ?? 0) + 1);
  return out;
}

export function ModelsPage({ self, search }: { self: KeySelf; search: URLSearchParams }) {
  const q = search.get('q') ?? '';
  const tag = search.get('tag') ?? '';
  const [draft, setDraft] = useState({ q, tag });
  useEffect(() => setDraft({ q, tag }), [q, tag]);
  const models = useLoad(() => api.models({ q: q || undefined, tag: tag || undefined, limit: 200 }), [q, tag]);
  const monitor = can(self, 'monitor:read');
  const health = useLoad(() => (monitor ? firingByModel() : Promise.resolve(null)), [monitor]);

  const submit = (e: Event) => {
    e.preventDefault();
    const p = new URLSearchParams();
    if (draft.q.trim()) p.set('q', draft.q.trim());
    if (draft.tag.trim()) p.set('tag', draft.tag.trim());
    const s = p.toString();
    navigate(`${href.models()}${s ? `?${s}` : ''}`);
  };

  return (
    <>
      <h1>Models</h1>
      <form class="filters" role="search" onSubmit={submit}>
        <div>
          <label for="model-q">Name contains</label>
          <input id="model-q" type="search" value={draft.q} onInput={(e) => setDraft({ ...draft, q: (e.target as HTMLInputElement).value })} />
        </div>
        <div>
          <label for="model-tag">Tag (key or key:value)</label>
          <input id="model-tag" type="text" value={draft.tag} onInput={(e) => setDraft({ ...draft, tag: (e.target as HTMLInputElement).value })} />
        </div>
        <button type="submit">Search</button>
      </form>
      {models.error && <ErrorBox error={models.error} />}
      {!models.data && !models.error && <Loading what="models" />}
      {models.data && (
        <table class="list">
          <caption>
            {models.data.models.length} model{models.data.models.length === 1 ? '' : 's'}
            {q || tag ? ' matching the search' : ''}
            {models.data.next_cursor ? ' (first 200)' : ''}
          </caption>
          <thead>
            <tr>
              <th scope="col">Model</th>
              <th scope="col">Health</th>
              <th scope="col">Serving</th>
              <th scope="col">Task</th>
              <th scope="col">Tags</th>
              <th scope="col">Latest</th>
            </tr>
          </thead>
          <tbody>
            {models.data.models.map((m) => (
              <tr key={m.name}>
                <th scope="row">
                  <a href={href.model(m.name)}>{m.name}</a>
                </th>
                <td>{health.data ? <HealthDot firing={health.data.get(m.name) ?? 0} /> : <span class="muted">{monitor ? '…' : 'needs monitor:read'}</span>}</td>
                <td>{servingSummary(m)}</td>
                <td>{m.task.replace(/_/g, ' ')}</td>
                <td>
                  <Tags tags={m.tags} />
                </td>
                <td>{m.latest_version ? `v${m.latest_version}` : <span class="muted">no versions</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

export function Tags({ tags }: { tags: Record<string, string> }) {
  const entries = Object.entries(tags);
  if (!entries.length) return <span class="muted">none</span>;
  return (
    <ul class="tags">
      {entries.map(([k, v]) => (
        <li key={k}>
          <a href={`${href.models()}?tag=${encodeURIComponent(`${k}:${v}`)}`}>
            {k}: {v}
          </a>
        </li>
      ))}
    </ul>
  );
}
