import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Call, Transcript } from '@switchboard/contracts';
import { signedTwilioRequest, type TwilioParams } from '@switchboard/testkit';

/** The webhooks Twilio sends the gateway for a call, signed as Twilio signs them. */
export class TwilioWebhooks {
  readonly accountSid = `AC${randomBytes(16).toString('hex')}`;
  private sequence = 0;

  constructor(
    /** Where to send them (the gateway as this machine reaches it). */
    private readonly gatewayUrl: string,
    /** PUBLIC_BASE_URL: what Twilio was given, and so what the signature covers. */
    private readonly publicBaseUrl: string,
    private readonly authToken: string,
  ) {}

  /** POST /twilio/voice, as Twilio sends it when an inbound call rings: the TwiML and how long it took. */
  async voice(call: { callSid: string; from: string; to: string }): Promise<{ twiml: string; ms: number }> {
    const started = performance.now();
    const res = await this.post('/twilio/voice', {
      CallSid: call.callSid,
      AccountSid: this.accountSid,
      From: call.from,
      To: call.to,
      Caller: call.from,
      Called: call.to,
      CallStatus: 'ringing',
      Direction: 'inbound',
      ApiVersion: '2010-04-01',
    });
    const twiml = await res.text();
    const ms = performance.now() - started;
    if (res.status !== 200) throw new Error(`/twilio/voice answered ${res.status}: ${twiml}`);
    return { twiml, ms };
  }

  /**
   * Twilio's `<Connect action>` request once a stream ended with the call still up (the worker closed it): the
   * TwiML Twilio would run next. `actionUrl` is the public URL from the TwiML, which the signature covers.
   */
  async streamEnded(actionUrl: string, callSid: string): Promise<string> {
    const params = {
      CallSid: callSid,
      AccountSid: this.accountSid,
      CallStatus: 'in-progress',
      ApiVersion: '2010-04-01',
    };
    const path = actionUrl.startsWith(this.publicBaseUrl) ? actionUrl.slice(this.publicBaseUrl.length) : '';
    if (!path.startsWith('/'))
      throw new Error(`the stream's action ${actionUrl} is not under ${this.publicBaseUrl}`);
    const res = await fetch(
      `${this.gatewayUrl}${path}`,
      signedTwilioRequest(this.authToken, actionUrl, params),
    );
    const twiml = await res.text();
    if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${twiml}`);
    return twiml;
  }

  /** POST /twilio/status, a call status callback. */
  async status(callSid: string, status: string, extra: Record<string, string> = {}): Promise<void> {
    const res = await this.post('/twilio/status', {
      CallSid: callSid,
      AccountSid: this.accountSid,
      CallStatus: status,
      SequenceNumber: String(this.sequence++),
      Timestamp: new Date().toUTCString().replace('GMT', '+0000'),
      ApiVersion: '2010-04-01',
      ...extra,
    });
    await res.arrayBuffer();
    if (res.status >= 300) throw new Error(`/twilio/status (${status}) answered ${res.status}`);
  }

  private post(path: string, params: TwilioParams): Promise<Response> {
    const init = signedTwilioRequest(this.authToken, `${this.publicBaseUrl}${path}`, params);
    return fetch(`${this.gatewayUrl}${path}`, init);
  }
}

/** The gateway's API as a client with a key sees it. */
export class CallsApi {
  constructor(
    private readonly gatewayUrl: string,
    private readonly apiKey: string,
  ) {}

  async call(callSid: string): Promise<Call> {
    return Call.parse(await this.get(`/api/calls/${callSid}`));
  }

  async transcript(callSid: string): Promise<Transcript> {
    return Transcript.parse(await this.get(`/api/calls/${callSid}/transcript`));
  }

  private async get(path: string): Promise<unknown> {
    const res = await fetch(`${this.gatewayUrl}${path}`, {
      headers: { authorization: `Bearer ${this.apiKey}` },
    });
    const body: unknown = await res.json();
    if (!res.ok) throw new Error(`GET ${path} answered ${res.status}: ${JSON.stringify(body)}`);
    return body;
  }
}
