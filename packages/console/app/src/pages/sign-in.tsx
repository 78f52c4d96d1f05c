import { useState } from 'preact/hooks';
import { ApiError, api } from '../api.js';
import { BASE, navigate } from '../router.js';

/** Where to go once signed in: the page that sent the visitor here, if it is a console page. */
function nextPage(): string {
  const next = new URLSearchParams(window.location.search).get('next');
  return next &&
    /^\/console(\/[\w\-./%]*)?$/.test(next) &&
    !next.includes('//') &&
    !next.startsWith(`${BASE}/sign-in`)
    ? next
    : `${BASE}/live`;
}

export function SignIn() {
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await api('/console/session', { method: 'POST', body: { apiKey: key } });
      setKey('');
      navigate(nextPage(), { replace: true });
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401 ? 'That API key is not valid.' : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">switchboard console</h1>
        <p class="muted">
          Sign in with one of the gateway's API keys. It is kept in an HttpOnly cookie, never in the page.
        </p>
        <label for="api-key">API key</label>
        <input
          id="api-key"
          name="apiKey"
          type="password"
          autoComplete="current-password"
          required
          value={key}
          onInput={(e) => setKey((e.target as HTMLInputElement).value)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? 'sign-in-error' : undefined}
        />
        {error && (
          <p id="sign-in-error" class="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
