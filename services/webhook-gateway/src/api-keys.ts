import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError } from './errors.js';

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

/** Lets through requests carrying one of the configured API keys; 401 for everything else. */
export function apiKeyCheck(keys: readonly string[]): RequestHandler {
  const keyDigests = keys.map(digest);
  return (req, res, next) => {
    const token = bearerToken(req.get('authorization'));
    if (token !== undefined && matchesApiKey(keyDigests, token)) {
      next();
      return;
    }
    res.set('WWW-Authenticate', 'Bearer');
    next(new UnauthorizedError(token === undefined ? undefined : 'the API key is not valid'));
  };
}
