import { signedTwilioRequest } from './twilio-signature.js';

/** One callback the fake sent, and how the receiver answered (`status` undefined: it could not be reached). */
export interface DeliveredWebhook {
  /** The URL Twilio was given (what the signature covers). */
  url: string;
  params: Record<string, string>;
  status: number | undefined;
  error?: string;
}

/**
 * Sends callbacks as Twilio does: a form-encoded POST to the URL it was given, signed with `X-Twilio-Signature`
 * (HMAC-SHA1 of that URL and the sorted params, keyed by the auth token). A URL under a public base the test
 * cannot dial (`https://gateway.example.com`) is sent to a local address instead (`reach`); the signature
 * stays the one for the URL Twilio was given.
 */
export class TwilioWebhooks {
  readonly delivered: DeliveredWebhook[] = [];
  private readonly routes: Array<{ from: string; to: string }> = [];

  constructor(private readonly authToken: string) {}

  /** Callbacks to URLs under `publicBase` go to `localBase` instead. */
  reach(publicBase: string, localBase: string): void {
    this.routes.unshift({ from: publicBase.replace(/\/+$/, ''), to: localBase.replace(/\/+$/, '') });
  }

  async send(url: string, params: Record<string, string>): Promise<DeliveredWebhook> {
    const route = this.routes.find((r) => url === r.from || url.startsWith(`${r.from}/`));
    const target = route === undefined ? url : route.to + url.slice(route.from.length);
    const delivery: DeliveredWebhook = { url, params, status: undefined };
    try {
      const res = await fetch(target, signedTwilioRequest(this.authToken, url, params));
      await res.arrayBuffer();
      delivery.status = res.status;
    } catch (err) {
      delivery.error = err instanceof Error ? err.message : String(err);
    }
    this.delivered.push(delivery);
    return delivery;
  }

  clear(): void {
    this.delivered.length = 0;
  }
}
