import { signal } from '@preact/signals';

// A small router over the History API: every console page is /console/<page>[/<id>].
export const BASE = '/console';

export const location = signal(window.location.pathname + window.location.search);

export function navigate(to: string, { replace = false } = {}): void {
  if (to === location.value) return;
  if (replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  location.value = to;
  window.scrollTo(0, 0);
}

window.addEventListener('popstate', () => {
  location.value = window.location.pathname + window.location.search;
});

/** Same-origin links to console pages move within the page instead of loading it again. */
document.addEventListener('click', (event) => {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey)
    return;
  const anchor = (event.target as Element | null)?.closest('a');
  const href = anchor?.getAttribute('href');
  if (
    !anchor ||
    !href?.startsWith(`${BASE}/`) ||
    anchor.target === '_blank' ||
    anchor.hasAttribute('download')
  )
    return;
  event.preventDefault();
  navigate(href);
});

export function signInPath(): string {
  const here = window.location.pathname;
  return here.startsWith(`${BASE}/sign-in`) ? here : `${BASE}/sign-in?next=${encodeURIComponent(here)}`;
}

export type Route =
  | { page: 'sign-in' }
  | { page: 'live' }
  | { page: 'calls' }
  | { page: 'call'; callSid: string }
  | { page: 'agents' }
  | { page: 'agent'; id: string | undefined }
  | { page: 'system' }
  | { page: 'not-found' };

export function parseRoute(path: string): Route {
  const [pathname] = path.split('?');
  const parts = (pathname ?? '')
    .replace(/^\/console\/?/, '')
    .split('/')
    .filter(Boolean)
    .map(decodeURIComponent);
  const [first, second] = parts;
  switch (first) {
    case undefined:
    case 'live':
      return { page: 'live' };
    case 'sign-in':
      return { page: 'sign-in' };
    case 'calls':
      return second === undefined ? { page: 'calls' } : { page: 'call', callSid: second };
    case 'agents':
      return second === undefined
        ? { page: 'agents' }
        : { page: 'agent', id: second === 'new' ? undefined : second };
    case 'system':
      return { page: 'system' };
    default:
      return { page: 'not-found' };
  }
}
