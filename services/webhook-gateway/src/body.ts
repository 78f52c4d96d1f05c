import { InvalidRequestError, SwitchboardError } from '@switchboard/contracts';
import express, { type Request, type RequestHandler } from 'express';
import { PayloadTooLargeError } from './errors.js';

/** The body could not be decoded with its `Content-Encoding`: a coding we do not know, or data not in it. */
export class ContentEncodingError extends SwitchboardError {
  constructor(encoding: string, options: { cause?: unknown } = {}) {
    super(
      'CONTENT_ENCODING_INVALID',
      `the request body could not be decoded as Content-Encoding: ${encoding} (gzip, deflate and br are read)`,
      options,
    );
  }
}

/** body-parser's errors carry a `type` and an HTTP status. */
interface BodyParserError {
  type?: unknown;
  status?: unknown;
}

/** What the client declared: `identity` when nothing. */
function contentEncoding(req: Request): string {
  return (req.get('content-encoding') ?? 'identity').trim().toLowerCase() || 'identity';
}

/**
 * What a body that could not be read means for the client, always a 4xx: it is the client's body. An error
 * from decompression carries no `type` of body-parser's (zlib's own error, given a 400), so a request with a
 * Content-Encoding whose body failed for no named reason failed to decode.
 */
export function bodyError(err: unknown, req: Request, limitBytes: number): SwitchboardError {
  if (err instanceof SwitchboardError) return err;
  const { type, status } = (err ?? {}) as BodyParserError;
  const encoding = contentEncoding(req);
  switch (type) {
    case 'entity.too.large':
      return new PayloadTooLargeError(limitBytes);
    case 'entity.parse.failed':
      return new InvalidRequestError('the request body is not valid JSON', { cause: err });
    case 'encoding.unsupported':
      return new ContentEncodingError(encoding, { cause: err });
    case 'charset.unsupported':
      return new InvalidRequestError('the request body has a charset that is not supported', { cause: err });
    case 'request.aborted':
    case 'request.size.invalid':
      return new InvalidRequestError('the request body ended before its declared length', { cause: err });
  }
  if (encoding !== 'identity') return new ContentEncodingError(encoding, { cause: err });
  const code = typeof status === 'number' && status >= 400 && status < 500 ? ` (${String(type)})` : '';
  return new InvalidRequestError(`the request body could not be read${code}`, { cause: err });
}

/**
 * Form (Twilio's webhooks) and JSON (the API) bodies, read on every route before any check that needs them —
 * Twilio's signature covers the form params — with every failure to read one a 4xx with a clear code.
 */
export function bodyParsers(limitBytes: number): RequestHandler[] {
  const parsers = [
    express.urlencoded({ limit: limitBytes, extended: false }),
    express.json({ limit: limitBytes }),
  ];
  return parsers.map(
    (parser): RequestHandler =>
      (req, res, next) =>
        parser(req, res, (err?: unknown) =>
          next(err === undefined ? undefined : bodyError(err, req, limitBytes)),
        ),
  );
}
