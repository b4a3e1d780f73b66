import type { ComponentChildren } from 'preact';
import { ApiError } from '../api/client.js';

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}

export function ErrorBox({ error }: { error: Error }) {
  const code = error instanceof ApiError ? ` (${error.code})` : '';
  return (
    <p class="error" role="alert">
      {error.message}
      {code}
    </p>
  );
}

/** A state shown by colour and by its words, never by colour alone. */
export function HealthDot({ firing }: { firing: number }) {
  const label = firing === 0 ? 'healthy' : `${firing} firing alert${firing === 1 ? '' : 's'}`;
  return (
    <span class="health">
      <span class={`dot ${firing === 0 ? 'ok' : 'bad'}`} aria-hidden="true" />
      {label}
    </span>
  );
}

export function Section({ title, id, children }: { title: string; id: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}

export const fmt = {
  num: (x: number | null | undefined, digits = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits)),
  p: (x: number | null | undefined) => (x === null || x === undefined ? '—' : x < 1e-4 ? x.toExponential(1) : x.toFixed(4)),
  pct: (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`),
  time: (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString() : '—'),
};
