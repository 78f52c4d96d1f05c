import type { CallEndReason } from '@switchboard/contracts';
import type { ComponentChildren } from 'preact';
import { api } from '../api.js';
import { connectionState } from '../events.js';
import { ENDED_REASON_TEXT, maskNumber } from '../model.js';
import { BASE, navigate } from '../router.js';
import { showNumbers } from '../store.js';

const PAGES = [
  { page: 'live', href: `${BASE}/live`, label: 'Live calls' },
  { page: 'calls', href: `${BASE}/calls`, label: 'History' },
  { page: 'agents', href: `${BASE}/agents`, label: 'Agents' },
  { page: 'system', href: `${BASE}/system`, label: 'System' },
] as const;

export function Layout({ current, children }: { current: string; children: ComponentChildren }) {
  const signOut = async () => {
    await api('/console/session', { method: 'DELETE' }).catch(() => undefined);
    navigate(`${BASE}/sign-in`);
  };
  const state = connectionState.value;
  return (
    <>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <span class="brand">switchboard</span>
        <nav aria-label="Console">
          <ul>
            {PAGES.map((p) => (
              <li key={p.page}>
                <a
                  href={p.href}
                  aria-current={
                    current === p.page ||
                    (current === 'call' && p.page === 'calls') ||
                    (current === 'agent' && p.page === 'agents')
                      ? 'page'
                      : undefined
                  }
                >
                  {p.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="top-actions">
          {state !== 'off' && (
            <span class={`conn conn-${state}`} role="status" aria-label={`Live updates: ${state}`}>
              {state === 'live' ? 'live' : state}
            </span>
          )}
          <label class="toggle">
            <input
              type="checkbox"
              checked={showNumbers.value}
              onChange={(e) => {
                showNumbers.value = (e.target as HTMLInputElement).checked;
              }}
            />
            Show numbers
          </label>
          <button type="button" class="secondary" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

/** A phone number, masked unless "Show numbers" is on. */
export function PhoneNumber({ value }: { value: string }) {
  const shown = showNumbers.value;
  return <span class="number">{shown ? value : maskNumber(value)}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{status}</span>;
}

/** Why a call's stream ended: the API's code, and what it means (in full, or as the code's tooltip). */
export function EndedReason({ reason, full = false }: { reason: CallEndReason; full?: boolean }) {
  const text = ENDED_REASON_TEXT[reason];
  return full ? (
    <span class="ended-reason">
      <code>{reason}</code>: {text}
    </span>
  ) : (
    <span class="ended-reason" title={text}>
      {reason}
    </span>
  );
}

export function Notice({
  kind = 'info',
  children,
}: {
  kind?: 'info' | 'error' | 'ok';
  children: ComponentChildren;
}) {
  return (
    <p class={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}
