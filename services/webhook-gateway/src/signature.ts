import type { Logger } from '@switchboard/logger';
import type { RequestHandler } from 'express';
import twilio from 'twilio';
import { ForbiddenError } from './errors.js';

export const SIGNATURE_HEADER = 'x-twilio-signature';

/** Form params as body-parser gives them: a repeated name becomes an array. */
export type FormParams = Record<string, string | string[]>;

/**
 * Whether `signature` is Twilio's HMAC-SHA1 of `url` followed by the POST params sorted by name, keyed by the
 * auth token. The twilio library's validator also accepts the URL with and without its default port.
 */
export function isValidTwilioSignature(
  authToken: string,
  signature: string | undefined,
  url: string,
  params: FormParams,
): boolean {
  if (!signature) return false;
  return twilio.validateRequest(authToken, signature, url, params);
}

/** The URL Twilio signed: the public base URL it was given, then the path and query it requested. */
export function signedUrl(publicBaseUrl: string, originalUrl: string): string {
  return publicBaseUrl.replace(/\/+$/, '') + originalUrl;
}

/** Only string and string[] values take part in the signature; body-parser gives nothing else for forms. */
export function formParams(body: unknown): FormParams {
  const params: FormParams = {};
  if (body === null || typeof body !== 'object') return params;
  for (const [name, value] of Object.entries(body)) {
    if (typeof value === 'string') params[name] = value;
    else if (Array.isArray(value) && value.every((v) => typeof v === 'string')) params[name] = value;
  }
  return params;
}

export interface SignatureCheckOptions {
  authToken: string | undefined;
  skip: boolean;
  publicBaseUrl: string;
  log: Logger;
}

/** Rejects every request without a valid `X-Twilio-Signature` with 403, before any handler runs. */
export function twilioSignatureCheck({
  authToken,
  skip,
  publicBaseUrl,
  log,
}: SignatureCheckOptions): RequestHandler {
  if (skip || authToken === undefined) {
    return (_req, _res, next) => next();
  }
  return (req, _res, next) => {
    const url = signedUrl(publicBaseUrl, req.originalUrl);
    if (isValidTwilioSignature(authToken, req.get(SIGNATURE_HEADER), url, formParams(req.body))) {
      next();
      return;
    }
    log.warn(
      { path: req.path, hasSignature: req.get(SIGNATURE_HEADER) !== undefined },
      'twilio signature rejected',
    );
    next(new ForbiddenError('invalid X-Twilio-Signature'));
  };
}
