import { useEffect, useRef, useState } from 'preact/hooks';
import { api, ApiError, session } from './api/client.js';
import type { KeySelf } from './api/types.js';
import { Login } from './pages/login.js';
import { ModelsPage } from './pages/models.js';
import { ModelPage } from './pages/model.js';
import { MonitoringPage } from './pages/monitoring.js';
import { VersionPage } from './pages/version.js';
import { AlertsPage } from './pages/alerts.js';
import { ApprovalsPage } from './pages/approvals.js';
import { EventsPage } from './pages/events.js';
import { RolloutsPage } from './pages/rollouts.js';
import { href, interceptLinks, match, type Page, useLocation } from './router.js';
import { Loading } from './components/status.js';

/** The header's places; a model's rollouts, approvals and events are its tabs (components/model/model-tabs.tsx). */
const NAV: { label: string; to: () => string; active: (p: Page) => boolean }[] = [
  { label: 'Models', to: href.models, active: (p) => p.page !== 'alerts' },
  { label: 'Alerts', to: href.alerts, active: (p) => p.page === 'alerts' },
];

export function App() {
  const [self, setSelf] = useState<KeySelf | null>(() => session.self());
  const [checking, setChecking] = useState(() => session.get() !== null && session.self() === null);
  const loc = useLocation();
  const page = match(loc.pathname);

  // A key kept from earlier in this tab is checked again (it may have been revoked or changed since) while the page draws.
  useEffect(() => {
    const key = session.get();
    if (!key) return;
    api.self().then(
      (s) => {
        session.set(key, s);
        setSelf(s);
        setChecking(false);
      },
      (err: unknown) => {
        if (err instanceof ApiError && err.status === 401) {
          session.clear();
          setSelf(null);
        }
        setChecking(false);
      },
    );
  }, []);

  // A new page gets a new title, and focus moves to its content so a screen reader starts there (not on the first load).
  const first = useRef(true);
  useEffect(() => {
    document.title = `${titleOf(page)} · Modelgate`;
    if (first.current) first.current = false;
    else document.getElementById('main')?.focus();
  }, [loc.pathname]);

  const signOut = () => {
    session.clear();
    setSelf(null);
  };

  return (
    <div onClick={(e) => interceptLinks(e as unknown as MouseEvent)}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href.models()}>
          Modelgate
        </a>
        {self && (
          <nav aria-label="Main">
            <ul>
              {NAV.map((n) => (
                <li key={n.label}>
                  <a href={n.to()} aria-current={n.active(page) ? 'page' : undefined}>
                    {n.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        {self && (
          <div class="who">
            <span>
              Signed in as <strong>{self.name}</strong> <span class="muted">({self.scopes.join(', ')})</span>
            </span>
            <button type="button" class="link" onClick={signOut}>
              Sign out
            </button>
          </div>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        {checking ? <Loading what="your key" /> : !self ? <Login onSignedIn={setSelf} /> : <Routed page={page} self={self} search={loc.search} />}
      </main>
    </div>
  );
}

function Routed({ page, self, search }: { page: Page; self: KeySelf; search: URLSearchParams }) {
  switch (page.page) {
    case 'models':
      return <ModelsPage self={self} search={search} />;
    case 'alerts':
      return <AlertsPage self={self} />;
    case 'model':
      return <ModelPage name={page.name} self={self} />;
    case 'monitoring':
      return <MonitoringPage name={page.name} search={search} />;
    case 'rollouts':
      return <RolloutsPage name={page.name} self={self} search={search} />;
    case 'approvals':
      return <ApprovalsPage name={page.name} self={self} />;
    case 'events':
      return <EventsPage name={page.name} />;
    case 'version':
      return <VersionPage name={page.name} version={page.version} />;
    default:
      return (
        <>
          <h1>Not found</h1>
          <p>
            No console page here. <a href={href.models()}>Back to the models</a>.
          </p>
        </>
      );
  }
}

function titleOf(p: Page): string {
  switch (p.page) {
    case 'models':
      return 'Models';
    case 'alerts':
      return 'Alerts';
    case 'model':
      return p.name;
    case 'monitoring':
      return `${p.name} monitoring`;
    case 'rollouts':
      return `${p.name} rollouts`;
    case 'approvals':
      return `${p.name} approvals`;
    case 'events':
      return `${p.name} events`;
    case 'version':
      return `${p.name} v${p.version}`;
    default:
      return 'Not found';
  }
}
