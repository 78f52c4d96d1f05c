import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { crossSiteReason, isSafeMethod } from './console/csrf.js';
import { ForbiddenError, UnauthorizedError } from './errors.js';

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Whether `presented` is one of `keys`. Both sides are hashed to equal-length digests and every key is
 * compared, so the time taken says nothing about how much of a key matched, nor which one.
 */
export function matchesApiKey(keyDigests: readonly Buffer[], presented: string): boolean {
  const candidate = digest(presented);
  let matched = false;
  for (const key of keyDigests) matched = timingSafeEqual(candidate, key) || matched;
  return matched;
}

/** The token of an `Authorization: Bearer <token>` header, if that is what the header holds. */
export function bearerToken(header: string | undefined): string | undefined {
  return header === undefined ? undefined : BEARER.exec(header)?.[1];
}

/** Checks presented API keys against the configured ones. */
export class ApiKeys {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  matches(presented: string): boolean {
    return matchesApiKey(this.digests, presented);
  }
}

export interface ApiAuthOptions {
  keys: ApiKeys;
  /** The console's session cookie, checked when there is no Authorization header. */
  session?: { valid(req: Request): boolean; publicBaseUrl: string };
}

/**
 * Lets through requests carrying one of the configured API keys, or the console's session cookie (for a
 * state-changing one, only from the console itself: `crossSiteReason`); 401 for everything else.
 */
export function apiKeyCheck({ keys, session }: ApiAuthOptions): RequestHandler {
  return (req, res, next) => {
    const header = req.get('authorization');
    const token = bearerToken(header);
    if (token !== undefined && keys.matches(token)) {
      next();
      return;
    }
    if (header === undefined && session?.valid(req)) {
      const refused = isSafeMethod(req.method) ? undefined : crossSiteReason(req, session.publicBaseUrl);
      next(refused === undefined ? undefined : new ForbiddenError(refused));
      return;
    }
    res.set('WWW-Authenticate', 'Bearer');
    next(new UnauthorizedError(token === undefined ? undefined : 'the API key is not valid'));
  };
}
