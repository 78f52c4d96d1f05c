import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { PrivateAddressError, publicOnlyLookup, refusedHost } from '@switchboard/url-guard';

const USER_AGENT = 'switchboard-notifier';
/** Of a receiver's reply, this much is read (for the error message); the rest is discarded. */
const REPLY_KEEP_BYTES = 512;

export type PostOutcome = { ok: true; status: number } | { ok: false; error: string };

export interface PostOptions {
  headers: Record<string, string>;
  timeoutMs: number;
  allowPrivateUrls: boolean;
}

/**
 * One POST of a delivery: a 2xx is success; any other status, a refused or private address, a connection
 * error, or no complete answer within `timeoutMs` is a failure with a short reason. Redirects are not
 * followed (a 3xx is a failure). Never throws.
 */
export function postJson(url: string, body: string, options: PostOptions): Promise<PostOutcome> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve({ ok: false, error: 'invalid url' });
  }
  if (!options.allowPrivateUrls) {
    const refused = refusedHost(target.hostname);
    if (refused) return Promise.resolve({ ok: false, error: refused.message });
  }
  const request: RequestOptions = {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': USER_AGENT,
      ...options.headers,
    },
  };
  if (!options.allowPrivateUrls) request.lookup = publicOnlyLookup;
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve) => {
    let settled = false;
    const settle = (outcome: PostOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve(outcome);
    };
    const deadline = setTimeout(() => {
      settle({ ok: false, error: `no answer within ${options.timeoutMs} ms` });
      req.destroy();
    }, options.timeoutMs);
    const req = send(target, request, (res) => {
      const status = res.statusCode ?? 0;
      let kept = '';
      res.on('data', (chunk: Buffer) => {
        if (kept.length < REPLY_KEEP_BYTES)
          kept += chunk.toString('utf8').slice(0, REPLY_KEEP_BYTES - kept.length);
      });
      res.on('error', (err) => settle({ ok: false, error: `reply failed: ${err.message}` }));
      res.on('end', () => {
        if (status >= 200 && status <= 299) settle({ ok: true, status });
        else
          settle({
            ok: false,
            error: `HTTP ${status}${kept ? `: ${kept.replace(/\s+/g, ' ').trim()}` : ''}`,
          });
      });
    });
    req.on('error', (err) => {
      if (err instanceof PrivateAddressError) settle({ ok: false, error: err.message });
      else settle({ ok: false, error: (err as NodeJS.ErrnoException).code ?? err.message });
    });
    req.end(body);
  });
}
