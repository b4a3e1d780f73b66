import { useState } from 'preact/hooks';
import { api, ApiError, session } from '../api/client.js';
import type { KeySelf } from '../api/types.js';

/** Asks for an API key and keeps it for this browser tab only (sessionStorage). */
export function Login({ onSignedIn }: { onSignedIn: (self: KeySelf) => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const self = await api.self(key.trim());
      session.set(key.trim(), self);
      onSignedIn(self);
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? 'That key is not valid (unknown, revoked or expired).' : (err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="login">
      <h1>Sign in to the Modelgate console</h1>
      <p>
        Paste an API key. It is kept in this tab's session storage only and sent with each request; closing the tab forgets it. A key with{' '}
        <code>registry:read</code> and <code>monitor:read</code> sees everything; actions need <code>registry:write</code> or{' '}
        <code>monitor:write</code>.
      </p>
      <form onSubmit={submit}>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="api-key"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          aria-describedby={error ? 'login-error' : undefined}
          aria-invalid={error ? true : undefined}
        />
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
      {error && (
        <p id="login-error" class="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
