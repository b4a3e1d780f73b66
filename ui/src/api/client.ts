import type {
  AlertList,
  BaselineAnswer,
  DriftAnswer,
  History,
  KeySelf,
  Model,
  ModelList,
  PerformanceAnswer,
  Silence,
  TrafficPolicy,
  Version,
  VersionList,
} from './types.js';
import type { ApprovalRequest, EventList, RequestList, RequestState, Rollout, RolloutAction, RolloutList, RolloutState } from './release-types.js';

/** An API error answered in the service's envelope: `{error: {code, message, details}}`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const KEY = 'modelgate.apiKey';
const SELF = 'modelgate.keySelf';

/**
 * The key lives in sessionStorage only: gone when the tab closes, never in
 * localStorage or a cookie. What the key may do is kept beside it so a
 * reload draws at once; the app asks again in the background.
 */
export const session = {
  get: (): string | null => sessionStorage.getItem(KEY),
  set: (key: string, self: KeySelf) => {
    sessionStorage.setItem(KEY, key);
    sessionStorage.setItem(SELF, JSON.stringify(self));
  },
  self: (): KeySelf | null => {
    try {
      return sessionStorage.getItem(KEY) ? (JSON.parse(sessionStorage.getItem(SELF) ?? 'null') as KeySelf | null) : null;
    } catch {
      return null;
    }
  },
  clear: () => {
    sessionStorage.removeItem(KEY);
    sessionStorage.removeItem(SELF);
  },
};

type Query = Record<string, string | number | undefined>;

function url(path: string, query?: Query): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `${path}?${s}` : path;
}

async function call<T>(method: string, path: string, opts: { query?: Query; body?: unknown; key?: string } = {}): Promise<T> {
  const key = opts.key ?? session.get();
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(url(path, opts.query), { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) {
    const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? res.statusText);
  }
  return json as T;
}

const m = (name: string) => `/api/v1/models/${encodeURIComponent(name)}`;

/** Every call the console makes, typed; each one is a route of the public API under the caller's key and its scopes. */
export const api = {
  self: (key?: string) => call<KeySelf>('GET', '/api/v1/keys/self', { key }),
  models: (query: { q?: string; tag?: string; limit?: number; cursor?: string }) => call<ModelList>('GET', '/api/v1/models', { query }),
  model: (name: string) => call<Model>('GET', m(name)),
  versions: (name: string) => call<VersionList>('GET', `${m(name)}/versions`, { query: { limit: 100 } }),
  version: (name: string, v: number) => call<Version>('GET', `${m(name)}/versions/${v}`),
  baseline: (name: string, v: number) => call<BaselineAnswer>('GET', `${m(name)}/versions/${v}/baseline`),
  history: (name: string, limit = 50) => call<History>('GET', `${m(name)}/history`, { query: { limit } }),
  setAlias: (name: string, alias: string, version: number, reason: string) =>
    call<{ revision: number }>('PUT', `${m(name)}/aliases/${encodeURIComponent(alias)}`, { body: { version, reason } }),
  setTraffic: (name: string, policy: TrafficPolicy & { reason: string }) => call<{ revision: number }>('PUT', `${m(name)}/traffic`, { body: policy }),
  rollback: (name: string, reason: string) => call<{ revision: number }>('POST', `${m(name)}/rollback`, { body: { reason } }),
  drift: (name: string, query: { version?: number; variant?: string; from?: string; to?: string; limit?: number }) =>
    call<DriftAnswer>('GET', `${m(name)}/drift`, { query }),
  performance: (name: string, query: { from?: string; to?: string; bucket?: number }) => call<PerformanceAnswer>('GET', `${m(name)}/performance`, { query }),
  alerts: (query: { state?: string; model?: string; limit?: number }) => call<AlertList>('GET', '/api/v1/alerts', { query }),
  ack: (id: string, note: string) => call<unknown>('POST', `/api/v1/alerts/${encodeURIComponent(id)}/ack`, { body: { note } }),
  silences: () => call<{ silences: Silence[] }>('GET', '/api/v1/silences', { query: { active: 'true' } }),
  silence: (body: { matchers: { model?: string; rule?: string; severity?: string }; ends_at: string; reason: string }) =>
    call<Silence>('POST', '/api/v1/silences', { body }),
  expireSilence: (id: string) => call<void>('DELETE', `/api/v1/silences/${encodeURIComponent(id)}`),
  rollouts: (name: string, query: { state?: RolloutState; limit?: number; cursor?: string }) => call<RolloutList>('GET', `${m(name)}/rollouts`, { query }),
  rollout: (name: string, id: number) => call<Rollout>('GET', `${m(name)}/rollouts/${id}`),
  rolloutAction: (name: string, id: number, action: RolloutAction, reason: string) => call<Rollout>('POST', `${m(name)}/rollouts/${id}/${action}`, { body: { reason } }),
  requests: (name: string, query: { state?: RequestState; limit?: number; cursor?: string }) => call<RequestList>('GET', `${m(name)}/requests`, { query }),
  decide: (name: string, id: string, decision: 'approve' | 'reject', comment: string) =>
    call<ApprovalRequest>('POST', `${m(name)}/requests/${encodeURIComponent(id)}/${decision}`, { body: { comment } }),
  events: (query: { model?: string; type?: string; limit?: number; cursor?: string }) => call<EventList>('GET', '/api/v1/events', { query }),
};
