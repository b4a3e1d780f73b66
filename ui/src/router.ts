import { useEffect, useState } from 'preact/hooks';

/** The console's own paths, all under /ui; the service answers any of them with index.html. */
export const BASE = '/ui';

export type Page =
  | { page: 'models' }
  | { page: 'alerts' }
  | { page: 'model'; name: string }
  | { page: 'monitoring'; name: string }
  | { page: 'rollouts'; name: string }
  | { page: 'approvals'; name: string }
  | { page: 'events'; name: string }
  | { page: 'version'; name: string; version: number }
  | { page: 'not-found' };

/** One table of paths; a model's pages are also tabs in components/model/model-tabs.tsx. */
const TABLE: [RegExp, (m: RegExpMatchArray) => Page][] = [
  [/^\/?$/, () => ({ page: 'models' })],
  [/^\/alerts\/?$/, () => ({ page: 'alerts' })],
  [/^\/models\/([^/]+)\/?$/, (m) => ({ page: 'model', name: decodeURIComponent(m[1]) })],
  [/^\/models\/([^/]+)\/monitoring\/?$/, (m) => ({ page: 'monitoring', name: decodeURIComponent(m[1]) })],
  [/^\/models\/([^/]+)\/rollouts\/?$/, (m) => ({ page: 'rollouts', name: decodeURIComponent(m[1]) })],
  [/^\/models\/([^/]+)\/approvals\/?$/, (m) => ({ page: 'approvals', name: decodeURIComponent(m[1]) })],
  [/^\/models\/([^/]+)\/events\/?$/, (m) => ({ page: 'events', name: decodeURIComponent(m[1]) })],
  [/^\/models\/([^/]+)\/versions\/(\d+)\/?$/, (m) => ({ page: 'version', name: decodeURIComponent(m[1]), version: Number(m[2]) })],
];

export function match(pathname: string): Page {
  const rest = pathname.startsWith(BASE) ? pathname.slice(BASE.length) : pathname;
  for (const [re, make] of TABLE) {
    const m = rest.match(re);
    if (m) return make(m);
  }
  return { page: 'not-found' };
}

export const href = {
  models: () => `${BASE}/`,
  alerts: () => `${BASE}/alerts`,
  model: (name: string) => `${BASE}/models/${encodeURIComponent(name)}`,
  monitoring: (name: string) => `${BASE}/models/${encodeURIComponent(name)}/monitoring`,
  rollouts: (name: string) => `${BASE}/models/${encodeURIComponent(name)}/rollouts`,
  approvals: (name: string) => `${BASE}/models/${encodeURIComponent(name)}/approvals`,
  events: (name: string) => `${BASE}/models/${encodeURIComponent(name)}/events`,
  version: (name: string, v: number) => `${BASE}/models/${encodeURIComponent(name)}/versions/${v}`,
};

export function navigate(to: string): void {
  if (to === location.pathname + location.search) return;
  history.pushState(null, '', to);
  dispatchEvent(new PopStateEvent('popstate'));
}

/** Same-origin links under /ui move without a reload; modified clicks (new tab) stay the browser's. */
export function interceptLinks(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest?.('a');
  if (!a || a.target || a.origin !== location.origin || !a.pathname.startsWith(BASE)) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
}

export function useLocation(): { pathname: string; search: URLSearchParams } {
  const [loc, setLoc] = useState(() => ({ pathname: location.pathname, search: new URLSearchParams(location.search) }));
  useEffect(() => {
    const on = () => setLoc({ pathname: location.pathname, search: new URLSearchParams(location.search) });
    addEventListener('popstate', on);
    return () => removeEventListener('popstate', on);
  }, []);
  return loc;
}
