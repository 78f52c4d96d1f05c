import { CONSOLE_ASSETS_DIR, CONSOLE_INDEX_FILE, consoleBuilt } from '@switchboard/console';
import { InvalidRequestError } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import express, { type RequestHandler, Router } from 'express';
import { z } from 'zod';
import type { ApiKeys } from '../api-keys.js';
import { ForbiddenError, RouteNotFoundError, UnauthorizedError } from '../errors.js';
import { crossSiteReason } from './csrf.js';
import type { ConsoleSessions } from './sessions.js';

/**
 * Everything the console's page may load comes from this gateway: scripts and styles only as files (no
 * inline code, no eval), data only from its own API. A resource from anywhere else is refused by the browser.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "font-src 'self'",
  "connect-src 'self'",
  "media-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

export const CONSOLE_PATH = '/console';
export const SIGN_IN_PATH = `${CONSOLE_PATH}/sign-in`;

const SignIn = z.strictObject({ apiKey: z.string().min(1).max(512) });

export interface ConsoleRouterDeps {
  keys: ApiKeys;
  sessions: ConsoleSessions;
  log: Logger;
}

const securityHeaders: RequestHandler = (_req, res, next) => {
  res.set({
    'Content-Security-Policy': CONSOLE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
  });
  next();
};

/** Where a signed-in visitor goes next: a console page, never another site. */
export function nextPage(value: unknown): string {
  return typeof value === 'string' && /^\/console(\/[\w\-./%]*)?$/.test(value) && !value.includes('//')
    ? value
    : `${CONSOLE_PATH}/live`;
}

/**
 * `/console`: the page (signed-in visitors only; others are sent to the sign-in page), its assets, and the
 * session itself (`POST /console/session` signs in with an API key, `DELETE` signs out).
 */
export function consoleRouter({ keys, sessions, log }: ConsoleRouterDeps): Router {
  const router = Router();
  router.use(CONSOLE_PATH, securityHeaders);

  const refuseCrossSite: RequestHandler = (req, _res, next) => {
    const reason = crossSiteReason(req, sessions.publicBaseUrl);
    next(reason === undefined ? undefined : new ForbiddenError(reason));
  };

  router.post(`${CONSOLE_PATH}/session`, refuseCrossSite, (req, res) => {
    const parsed = SignIn.safeParse(req.body ?? {});
    if (!parsed.success) throw new InvalidRequestError('the body is {"apiKey": "<one of API_KEYS>"}');
    if (!keys.matches(parsed.data.apiKey)) {
      log.info('console sign-in refused');
      throw new UnauthorizedError('the API key is not valid');
    }
    res.set('Cache-Control', 'no-store').json(sessions.signIn(res, parsed.data.apiKey));
  });

  router.get(`${CONSOLE_PATH}/session`, (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (!sessions.valid(req)) throw new UnauthorizedError('not signed in');
    res.json({ signedIn: true });
  });

  router.delete(`${CONSOLE_PATH}/session`, refuseCrossSite, (_req, res) => {
    sessions.signOut(res);
    res.set('Cache-Control', 'no-store').status(204).end();
  });

  // Hashed file names: a new build is new names, so each can be kept for good.
  router.use(
    `${CONSOLE_PATH}/assets`,
    express.static(`${CONSOLE_ASSETS_DIR}assets`, { index: false, immutable: true, maxAge: '365d' }),
  );
  router.use(`${CONSOLE_PATH}/assets`, (req, _res, next) =>
    next(new RouteNotFoundError(req.method, req.originalUrl)),
  );
  router.get(`${CONSOLE_PATH}/favicon.svg`, (_req, res) => {
    res.sendFile(`${CONSOLE_ASSETS_DIR}favicon.svg`, { maxAge: '1d' });
  });

  const page: RequestHandler = (_req, res) => {
    res.set('Cache-Control', 'no-store');
    if (!consoleBuilt()) {
      res.status(503).type('text/plain').send('The console is not built: run `pnpm build`.\n');
      return;
    }
    res.sendFile(CONSOLE_INDEX_FILE);
  };
  router.get(SIGN_IN_PATH, page);
  router.get([CONSOLE_PATH, `${CONSOLE_PATH}/*path`], (req, res, next) => {
    if (sessions.valid(req)) {
      page(req, res, next);
      return;
    }
    res
      .set('Cache-Control', 'no-store')
      .redirect(303, `${SIGN_IN_PATH}?next=${encodeURIComponent(nextPage(req.originalUrl.split('?')[0]))}`);
  });
  return router;
}
