import { createHmac } from 'node:crypto';

/** Form params as a Twilio webhook carries them; a repeated name is an array. */
export type TwilioParams = Record<string, string | readonly string[]>;

/**
 * The `X-Twilio-Signature` Twilio sends: HMAC-SHA1, keyed by the auth token, of the full URL it requested
 * followed by each POST param's name and value, sorted by name (a repeated name's values sorted too), base64.
 * https://www.twilio.com/docs/usage/security#validating-requests — the same computation as the twilio
 * library's `getExpectedTwilioSignature`, which services check these against.
 */
export function twilioSignature(authToken: string, url: string, params: TwilioParams = {}): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    const values = typeof value === 'string' ? [value] : [...new Set(value)].sort();
    for (const v of values) data += name + v;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf-8')).digest('base64');
}

/** The form body Twilio posts. */
export function twilioFormBody(params: TwilioParams): string {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    for (const v of typeof value === 'string' ? [value] : value) form.append(name, v);
  }
  return form.toString();
}

export interface SignedTwilioRequest {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
}

/**
 * A `fetch` init for a webhook as Twilio sends it: form-encoded params signed for `signedUrl` (the public URL
 * Twilio was given, which may differ from the address the test actually dials).
 */
export function signedTwilioRequest(
  authToken: string,
  signedUrl: string,
  params: TwilioParams,
): SignedTwilioRequest {
  return {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilioSignature(authToken, signedUrl, params),
    },
    body: twilioFormBody(params),
  };
}
