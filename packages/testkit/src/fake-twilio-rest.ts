import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newCallSid } from './twilio-ids.js';

/** An error reply as Twilio's REST API sends it (https://www.twilio.com/docs/usage/twilios-response). */
export interface TwilioErrorReply {
  status: number;
  code: number;
  message: string;
  /** Defaults to Twilio's page for the code. */
  moreInfo?: string;
}

/** A call the fake has accepted, as the Calls resource would hold it. */
export interface FakeTwilioCall {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  status: string;
  direction: 'inbound' | 'outbound-api';
  url: string | undefined;
  /** The TwiML the call was last given with an update (`Twiml`), e.g. a transfer's `<Dial>`. */
  twiml: string | undefined;
  method: string | undefined;
  statusCallback: string | undefined;
  statusCallbackMethod: string | undefined;
  statusCallbackEvent: string[];
  dateCreated: Date;
  dateUpdated: Date;
}

/** Every request the fake received, in order, as it arrived. */
export interface RecordedTwilioRequest {
  method: string;
  path: string;
  /** The Host header: which address the client dialled (two clients can be told apart by it). */
  host: string | undefined;
  /** Basic-auth credentials, when the request carried them. */
  username: string | undefined;
  password: string | undefined;
  contentType: string | undefined;
  /** Form params; a repeated name (StatusCallbackEvent) is an array. */
  params: Record<string, string | string[]>;
}

export interface FakeTwilioRestOptions {
  accountSid: string;
  authToken: string;
}

const API_VERSION = '2010-04-01';
/** Twilio's final call statuses: a call in any other is live (it counts against a concurrency cap). */
const FINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);
const CALLS = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/;
const CALL = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\.json$/;
const E164 = /^\+[1-9]\d{1,14}$/;
/** `action="…"` attributes of TwiML: Twilio requires them absolute in TwiML given to a live call (15004). */
const ACTION_ATTRIBUTE = /\baction="([^"]*)"/g;

/** RFC 2822, as Twilio writes dates in REST replies. */
function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

/**
 * A fake of Twilio's Calls resource, on a real HTTP server: `POST …/Calls.json` (form-encoded, basic auth with
 * the account SID and auth token), `POST …/Calls/{Sid}.json` (update: `Status=canceled|completed`, or new
 * instructions with `Url` or `Twiml`, which Twilio takes only for a call in progress — 21220 otherwise) and
 * `GET …/Calls/{Sid}.json`, answering Twilio's JSON and Twilio's error shape. Point the twilio library at `url`
 * (TWILIO_API_BASE_URL). Inbound calls exist once `addCall()` says so (Twilio knows every call; the fake only
 * those it was told of). `failNext()` programs error replies; `requests` records everything received.
 */
export class FakeTwilioRest {
  readonly requests: RecordedTwilioRequest[] = [];
  readonly calls = new Map<string, FakeTwilioCall>();
  private readonly failures: TwilioErrorReply[] = [];
  private delayMs = 0;
  private readonly createdListeners: ((call: FakeTwilioCall) => void)[] = [];
  private live = 0;
  /** The most calls live at once since the start (or `reset`): created, and not in a final status yet. */
  maxLive = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly options: FakeTwilioRestOptions,
  ) {}

  static async start(options: FakeTwilioRestOptions): Promise<FakeTwilioRest> {
    let fake: FakeTwilioRest | undefined;
    const server = createServer((req, res) => {
      fake?.handle(req, res).catch(() => res.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeTwilioRest(server, (server.address() as AddressInfo).port, options);
    return fake;
  }

  /** Scheme, host and port that replace `https://api.twilio.com`. */
  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The next `times` call creations or updates get this error reply instead. */
  failNext(reply: TwilioErrorReply, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push(reply);
  }

  /** Answers every request this much later (a slow Twilio). */
  delayReplies(ms: number): void {
    this.delayMs = ms;
  }

  /** Requests that created calls (`POST …/Calls.json`). */
  get createRequests(): RecordedTwilioRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && CALLS.test(r.path));
  }

  /** Requests that updated a call (`POST …/Calls/{Sid}.json`): cancellations, hang-ups, new TwiML. */
  get updateRequests(): RecordedTwilioRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && CALL.test(r.path));
  }

  /** Calls live now: created (or added) and not in a final status. */
  get liveCalls(): number {
    return this.live;
  }

  /** `listener` hears of each call the fake creates, as it is stored (before the reply is sent). */
  onCallCreated(listener: (call: FakeTwilioCall) => void): void {
    this.createdListeners.push(listener);
  }

  /**
   * Moves a call to `status`, as Twilio does while it rings, is answered and ends (a test then sends the
   * callback Twilio would). A final status ends it: it no longer counts as live.
   */
  setStatus(sid: string, status: string): FakeTwilioCall {
    const call = this.calls.get(sid);
    if (!call) throw new Error(`the fake has no call ${sid}`);
    this.moveTo(call, status);
    return call;
  }

  private moveTo(call: FakeTwilioCall, status: string): void {
    const wasLive = !FINAL_STATUSES.has(call.status);
    const isLive = !FINAL_STATUSES.has(status);
    call.status = status;
    call.dateUpdated = new Date();
    if (wasLive && !isLive) this.live--;
    if (!wasLive && isLive) this.track();
  }

  private track(): void {
    this.live++;
    this.maxLive = Math.max(this.maxLive, this.live);
  }

  /** A call Twilio has, as an answered inbound call by default (what the gateway's transfers update). */
  addCall(sid: string, fields: Partial<Omit<FakeTwilioCall, 'sid'>> = {}): FakeTwilioCall {
    const now = new Date();
    const call: FakeTwilioCall = {
      sid,
      accountSid: this.options.accountSid,
      to: '+15559870000',
      from: '+15551230000',
      status: 'in-progress',
      direction: 'inbound',
      url: undefined,
      twiml: undefined,
      method: undefined,
      statusCallback: undefined,
      statusCallbackMethod: undefined,
      statusCallbackEvent: [],
      dateCreated: now,
      dateUpdated: now,
      ...fields,
    };
    this.calls.set(sid, call);
    if (!FINAL_STATUSES.has(call.status)) this.track();
    return call;
  }

  reset(): void {
    this.requests.length = 0;
    this.calls.clear();
    this.failures.length = 0;
    this.delayMs = 0;
    this.live = 0;
    this.maxLive = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    const params: Record<string, string | string[]> = {};
    for (const name of new Set(form.keys())) {
      const values = form.getAll(name);
      params[name] = values.length === 1 ? (values[0] as string) : values;
    }
    const path = new URL(req.url ?? '/', 'http://fake').pathname;
    const credentials = basicAuth(req.headers.authorization);
    this.requests.push({
      method: req.method ?? 'GET',
      path,
      host: req.headers.host,
      username: credentials?.username,
      password: credentials?.password,
      contentType: req.headers['content-type'],
      params,
    });
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));

    const reply = this.route(req.method ?? 'GET', path, credentials, params);
    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(reply.body));
  }

  private route(
    method: string,
    path: string,
    credentials: { username: string; password: string } | undefined,
    params: Record<string, string | string[]>,
  ): { status: number; body: unknown } {
    const calls = CALLS.exec(path);
    const call = CALL.exec(path);
    const accountSid = calls?.[1] ?? call?.[1];
    if (accountSid === undefined) return errorReply(notFound(path));
    if (
      credentials?.username !== this.options.accountSid ||
      credentials.password !== this.options.authToken ||
      accountSid !== this.options.accountSid
    ) {
      return errorReply({ status: 401, code: 20003, message: 'Authenticate' });
    }
    if (calls && method === 'POST') return this.createCall(accountSid, params);
    if (call) {
      const stored = this.calls.get(call[2] ?? '');
      if (!stored) return errorReply(notFound(path));
      if (method === 'GET') return { status: 200, body: callResource(stored) };
      if (method === 'POST') return this.updateCall(stored, params);
    }
    return errorReply({ status: 405, code: 20004, message: 'Method not allowed' });
  }

  private createCall(
    accountSid: string,
    params: Record<string, string | string[]>,
  ): { status: number; body: unknown } {
    const failure = this.failures.shift();
    if (failure) return errorReply(failure);
    const to = single(params.To);
    const from = single(params.From);
    if (!to) return errorReply({ status: 400, code: 21201, message: "No 'To' number is specified" });
    if (!from) return errorReply({ status: 400, code: 21603, message: "A 'From' phone number is required." });
    if (!E164.test(to) && !to.startsWith('client:') && !to.startsWith('sip:')) {
      return errorReply({ status: 400, code: 21211, message: `Invalid 'To' Phone Number: ${to}` });
    }
    if (params.Url === undefined && params.Twiml === undefined && params.ApplicationSid === undefined) {
      return errorReply({ status: 400, code: 21205, message: 'Url parameter is required.' });
    }
    const now = new Date();
    const created: FakeTwilioCall = {
      sid: newCallSid(),
      accountSid,
      to,
      from,
      status: 'queued',
      direction: 'outbound-api',
      url: single(params.Url),
      twiml: single(params.Twiml),
      method: single(params.Method),
      statusCallback: single(params.StatusCallback),
      statusCallbackMethod: single(params.StatusCallbackMethod),
      statusCallbackEvent: list(params.StatusCallbackEvent)
        .flatMap((e) => e.split(' '))
        .filter(Boolean),
      dateCreated: now,
      dateUpdated: now,
    };
    this.calls.set(created.sid, created);
    this.track();
    for (const listener of this.createdListeners) listener(created);
    return { status: 201, body: callResource(created) };
  }

  private updateCall(
    stored: FakeTwilioCall,
    params: Record<string, string | string[]>,
  ): { status: number; body: unknown } {
    const failure = this.failures.shift();
    if (failure) return errorReply(failure);
    const status = single(params.Status);
    const url = single(params.Url);
    const twiml = single(params.Twiml);
    if (status === 'canceled' || status === 'completed') {
      if (status === 'canceled' && stored.status !== 'queued' && stored.status !== 'ringing') {
        return errorReply({ status: 400, code: 21220, message: 'Call is not in-progress. Cannot redirect.' });
      }
      this.moveTo(stored, status);
    } else if (status !== undefined) {
      return errorReply({ status: 400, code: 20001, message: `Invalid Status: ${status}` });
    }
    if (url !== undefined || twiml !== undefined) {
      if (status === undefined && stored.status !== 'in-progress') {
        return errorReply({ status: 400, code: 21220, message: 'Call is not in-progress. Cannot redirect.' });
      }
      for (const [, action] of (twiml ?? '').matchAll(ACTION_ATTRIBUTE)) {
        if (!/^https?:\/\//.test(action ?? '')) {
          return errorReply({
            status: 400,
            code: 15004,
            message:
              'Action Callback URL must be an absolute URL when using TwiML to update in-progress calls',
          });
        }
      }
      if (url !== undefined) stored.url = url;
      if (twiml !== undefined) stored.twiml = twiml;
    }
    stored.dateUpdated = new Date();
    return { status: 200, body: callResource(stored) };
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function basicAuth(header: string | undefined): { username: string; password: string } | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!match?.[1]) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

function notFound(path: string): TwilioErrorReply {
  return { status: 404, code: 20404, message: `The requested resource ${path} was not found` };
}

function errorReply(reply: TwilioErrorReply): { status: number; body: unknown } {
  return {
    status: reply.status,
    body: {
      code: reply.code,
      message: reply.message,
      more_info: reply.moreInfo ?? `https://www.twilio.com/docs/errors/${reply.code}`,
      status: reply.status,
    },
  };
}

function callResource(call: FakeTwilioCall): Record<string, unknown> {
  const uri = `/${API_VERSION}/Accounts/${call.accountSid}/Calls/${call.sid}.json`;
  return {
    sid: call.sid,
    account_sid: call.accountSid,
    parent_call_sid: null,
    to: call.to,
    to_formatted: call.to,
    from: call.from,
    from_formatted: call.from,
    phone_number_sid: null,
    status: call.status,
    direction: call.direction,
    answered_by: null,
    api_version: API_VERSION,
    caller_name: null,
    forwarded_from: null,
    group_sid: null,
    queue_time: '0',
    trunk_sid: null,
    start_time: null,
    end_time: null,
    duration: null,
    price: null,
    price_unit: 'USD',
    annotation: null,
    date_created: rfc2822(call.dateCreated),
    date_updated: rfc2822(call.dateUpdated),
    uri,
    subresource_uris: {
      notifications: uri.replace('.json', '/Notifications.json'),
      recordings: uri.replace('.json', '/Recordings.json'),
      payments: uri.replace('.json', '/Payments.json'),
      events: uri.replace('.json', '/Events.json'),
      siprec: uri.replace('.json', '/Siprec.json'),
      streams: uri.replace('.json', '/Streams.json'),
      user_defined_message_subscriptions: uri.replace('.json', '/UserDefinedMessageSubscriptions.json'),
      user_defined_messages: uri.replace('.json', '/UserDefinedMessages.json'),
    },
  };
}
