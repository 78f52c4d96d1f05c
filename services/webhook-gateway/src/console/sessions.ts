import type { Request, Response } from 'express';
import {
  clearSessionCookie,
  readCookie,
  type SessionCookie,
  sessionCookie,
  setSessionCookie,
} from './cookies.js';
import { SessionTokens } from './session-token.js';

/** The console's signed-in sessions: a signed token in an HttpOnly, SameSite=Strict cookie. */
export class ConsoleSessions {
  private readonly tokens: SessionTokens;
  private readonly cookie: SessionCookie;

  constructor(
    apiKeys: readonly string[],
    readonly publicBaseUrl: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = new SessionTokens(apiKeys, ttlMs);
    this.cookie = sessionCookie(publicBaseUrl);
  }

  /** Whether the request carries a session cookie that is valid now. */
  valid(req: Request): boolean {
    const token = readCookie(req.get('cookie'), this.cookie.name);
    return token !== undefined && this.tokens.verify(token, this.now());
  }

  /** Signs in with `apiKey` (one of the configured keys): the cookie goes on `res`. */
  signIn(res: Response, apiKey: string): { expiresAt: string } {
    const { token, expiresAtMs } = this.tokens.issue(apiKey, this.now());
    res.append('Set-Cookie', setSessionCookie(this.cookie, token, Math.floor(this.ttlMs / 1000)));
    return { expiresAt: new Date(expiresAtMs).toISOString() };
  }

  signOut(res: Response): void {
    res.append('Set-Cookie', clearSessionCookie(this.cookie));
  }
}
