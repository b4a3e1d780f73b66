import { useState } from 'preact/hooks';
import { api } from '../api/client.js';
import { ModelTabs } from '../components/model/model-tabs.js';
import { ErrorBox, fmt, Loading } from '../components/status.js';
import { EVENT_FAMILIES, eventSummary } from '../releases.js';
import { useLoad } from '../use-load.js';

/** A model's registry events, newest first, filtered by type family, a page at a time. */
export function EventsPage({ name }: { name: string }) {
  const [type, setType] = useState('');
  // The cursors of the pages before this one, to step back.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  const events = useLoad(() => api.events({ model: name, type: type || undefined, limit: 25, cursor }), [name, type, cursor]);

  return (
    <div data-ready={!events.loading ? 'true' : undefined}>
      <h1>{name}: events</h1>
      <ModelTabs name={name} current="events" />
      <form class="filters" onSubmit={(e) => e.preventDefault()}>
        <label for="event-type">Type</label>{' '}
        <select
          id="event-type"
          value={type}
          onChange={(e) => {
            setCursors([undefined]);
            setType((e.target as HTMLSelectElement).value);
          }}
        >
          <option value="">every type</option>
          {EVENT_FAMILIES.map((f) => (
            <option key={f} value={f}>
              {f}
            </option>
          ))}
        </select>
      </form>
      {events.error ? (
        <ErrorBox error={events.error} />
      ) : !events.data ? (
        <Loading what="events" />
      ) : !events.data.events.length ? (
        <p>No event{type ? ` of type ${type}` : ''} for {name}.</p>
      ) : (
        <table class="list" data-testid="events">
          <caption>
            Registry events of {name}
            {type ? ` (${type})` : ''}, newest first, page {cursors.length}
          </caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Type</th>
              <th scope="col">Version</th>
              <th scope="col">Actor</th>
              <th scope="col">What</th>
            </tr>
          </thead>
          <tbody>
            {events.data.events.map((e) => (
              <tr key={e.id}>
                <th scope="row">{fmt.time(e.created_at)}</th>
                <td>
                  <code>{e.type}</code>
                </td>
                <td>{e.version === null ? '—' : `v${e.version}`}</td>
                <td>{e.actor ?? '—'}</td>
                <td>{eventSummary(e.data)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <div class="buttons">
        {cursors.length > 1 && (
          <button type="button" onClick={() => setCursors(cursors.slice(0, -1))}>
            Newer events
          </button>
        )}
        {events.data?.next_cursor && (
          <button type="button" onClick={() => setCursors([...cursors, events.data!.next_cursor!])}>
            Older events
          </button>
        )}
      </div>
    </div>
  );
}
