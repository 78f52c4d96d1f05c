/** The value of cookie `name` in a `Cookie` request header, if it is there once. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  let found: string | undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== name) continue;
    if (found !== undefined) return undefined;
    found = pair.slice(eq + 1).trim();
  }
  return found;
}

export interface SessionCookie {
  /** `__Host-switchboard_console` over https (the prefix requires Secure and Path=/), else without it. */
  name: string;
  secure: boolean;
}

export function sessionCookie(publicBaseUrl: string): SessionCookie {
  const secure = publicBaseUrl.startsWith('https:');
  return { name: secure ? '__Host-switchboard_console' : 'switchboard_console', secure };
}

/** `Set-Cookie` for the session: HttpOnly and SameSite=Strict always, Secure behind https. */
export function setSessionCookie(cookie: SessionCookie, token: string, maxAgeSeconds: number): string {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${maxAgeSeconds}`];
  if (cookie.secure) attributes.push('Secure');
  return `${cookie.name}=${token}; ${attributes.join('; ')}`;
}

/** `Set-Cookie` that removes the session cookie. */
export function clearSessionCookie(cookie: SessionCookie): string {
  return setSessionCookie(cookie, '', 0);
}
