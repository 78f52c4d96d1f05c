import type { Request } from 'express';

/** The header the console sends with every state-changing request; a cross-site form or image cannot. */
export const CONSOLE_REQUEST_HEADER = 'x-requested-by';
export const CONSOLE_REQUEST_VALUE = 'switchboard-console';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isSafeMethod(method: string): boolean {
  return SAFE_METHODS.has(method);
}

/**
 * Why a state-changing request that rides on the console's cookie is refused, or undefined when it is the
 * console's own. The cookie is SameSite=Strict already; on top of that the request must carry the console's
 * header (which a cross-site page can only send after a CORS preflight the gateway never grants), and what
 * the browser says of its origin (`Sec-Fetch-Site`, `Origin`) must be this gateway.
 */
export function crossSiteReason(req: Request, publicBaseUrl: string): string | undefined {
  if (req.get(CONSOLE_REQUEST_HEADER) !== CONSOLE_REQUEST_VALUE) {
    return `the console's requests carry ${CONSOLE_REQUEST_HEADER}: ${CONSOLE_REQUEST_VALUE}`;
  }
  const site = req.get('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return `a ${site} request is refused`;
  const origin = req.get('origin');
  if (origin !== undefined && !sameOrigin(origin, req.get('host'), publicBaseUrl)) {
    return `requests from ${origin} are refused`;
  }
  return undefined;
}

function sameOrigin(origin: string, host: string | undefined, publicBaseUrl: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return url.origin === new URL(publicBaseUrl).origin || (host !== undefined && url.host === host);
}
