import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  API_VERSION,
  type FakeTwilioRecording,
  newRecordingSid,
  recordingResource,
  rfc2822,
  sendRecordingCallback,
} from './fake-twilio-recordings.js';
import { type DeliveredWebhook, TwilioWebhooks } from './fake-twilio-webhooks.js';
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
  /** Answering machine detection asked for at creation: `Enable` or `DetectMessageEnd`. */
  machineDetection: string | undefined;
  asyncAmd: string | undefined;
  asyncAmdStatusCallback: string | undefined;
  asyncAmdStatusCallbackMethod: string | undefined;
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

/** Twilio's final call statuses: a call in any other is live (it counts against a concurrency cap). */
const FINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'busy', 'failed', 'no-answer', 'canceled']);
const CALLS = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\.json$/;
const CALL = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\.json$/;
const CALL_RECORDINGS = /^\/2010-04-01\/Accounts\/([^/]+)\/Calls\/([^/]+)\/Recordings\.json$/;
/** A recording's resource (`.json`) or its audio (`.wav`, `.mp3`). */
const RECORDING = /^\/2010-04-01\/Accounts\/([^/]+)\/Recordings\/([^/.]+)\.(json|wav|mp3)$/;
/** The audio is written in chunks this big, so a client sees it streamed. */
const MEDIA_CHUNK_BYTES = 16 * 1024;
const E164 = /^\+[1-9]\d{1,14}$/;
/** `action="…"` attributes of TwiML: Twilio requires them absolute in TwiML given to a live call (15004). */
const ACTION_ATTRIBUTE = /\baction="([^"]*)"/g;

/**
 * A fake of Twilio's Calls resource, on a real HTTP server: `POST …/Calls.json` (form-encoded, basic auth with
 * the account SID and auth token), `POST …/Calls/{Sid}.json` (update: `Status=canceled|completed`, or new
 * instructions with `Url` or `Twiml`, which Twilio takes only for a call in progress — 21220 otherwise) and
 * `GET …/Calls/{Sid}.json`, answering Twilio's JSON and Twilio's error shape. Point the twilio library at `url`
 * (TWILIO_API_BASE_URL). Inbound calls exist once `addCall()` says so (Twilio knows every call; the fake only
 * those it was told of). `failNext()` programs error replies; `requests` records everything received.
 *
 * Recordings: `POST …/Calls/{Sid}/Recordings.json` starts one on a call in progress (its `in-progress`
 * callback follows when asked for), `completeRecording()` finishes it and sends the `completed` callback,
 * `GET …/Recordings/{Sid}.wav|.mp3` serves its audio in chunks and `DELETE …/Recordings/{Sid}.json` deletes
 * it, all with the account's basic auth. `sendAmdResult()` sends the asynchronous AMD callback of a call placed
 * with `AsyncAmdStatusCallback`. Callbacks go out signed, as Twilio sends them (`webhooks`).
 */
export class FakeTwilioRest {
  readonly requests: RecordedTwilioRequest[] = [];
  readonly calls = new Map<string, FakeTwilioCall>();
  readonly recordings = new Map<string, FakeTwilioRecording>();
  /** The callbacks the fake sends (recording status, AMD), as Twilio sends them. */
  readonly webhooks: TwilioWebhooks;
  private readonly failures: TwilioErrorReply[] = [];
  private delayMs = 0;
  /** While set, recording audio stops after its first chunk until it resolves (`holdMedia`). */
  private mediaHold: Promise<void> | undefined;
  private readonly createdListeners: ((call: FakeTwilioCall) => void)[] = [];
  private live = 0;
  /** The most calls live at once since the start (or `reset`): created, and not in a final status yet. */
  maxLive = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly options: FakeTwilioRestOptions,
  ) {
    this.webhooks = new TwilioWebhooks(options.authToken);
  }

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

  /**
   * Recording audio served from now on stops after its first chunk until the returned function is called:
   * a client that gets the first bytes meanwhile was streamed them, not handed a buffered whole.
   */
  holdMedia(): () => void {
    let release = () => {};
    this.mediaHold = new Promise<void>((resolve) => {
      release = () => {
        this.mediaHold = undefined;
        resolve();
      };
    });
    return release;
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

  /** Requests that started a recording (`POST …/Calls/{Sid}/Recordings.json`). */
  get recordingRequests(): RecordedTwilioRequest[] {
    return this.requests.filter((r) => r.method === 'POST' && CALL_RECORDINGS.test(r.path));
  }

  /**
   * The recording is done: `completed`, its duration and audio (served at `…/Recordings/{Sid}.wav`), and the
   * recording status callback sent as Twilio sends it, when the recording asked for `completed` events.
   */
  async completeRecording(
    recordingSid: string,
    { durationSeconds, media }: { durationSeconds: number; media: Buffer },
  ): Promise<DeliveredWebhook | undefined> {
    const recording = this.recordings.get(recordingSid);
    if (recording === undefined) throw new Error(`the fake has no recording ${recordingSid}`);
    recording.status = 'completed';
    recording.durationSeconds = durationSeconds;
    recording.media = media;
    recording.dateUpdated = new Date();
    return sendRecordingCallback(this.webhooks, recording, 'completed');
  }

  /**
   * Twilio's asynchronous AMD callback for the call (to its `AsyncAmdStatusCallback`, POST, signed):
   * `AnsweredBy` and `MachineDetectionDuration` (ms), as https://www.twilio.com/docs/voice/answering-machine-detection describes.
   */
  async sendAmdResult(
    callSid: string,
    answeredBy: string,
    machineDetectionMs = 3_200,
  ): Promise<DeliveredWebhook> {
    const call = this.calls.get(callSid);
    if (call?.asyncAmdStatusCallback === undefined)
      throw new Error(`call ${callSid} was not placed with an AsyncAmdStatusCallback`);
    return this.webhooks.send(call.asyncAmdStatusCallback, {
      AccountSid: call.accountSid,
      CallSid: callSid,
      AnsweredBy: answeredBy,
      MachineDetectionDuration: String(machineDetectionMs),
    });
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
      machineDetection: undefined,
      asyncAmd: undefined,
      asyncAmdStatusCallback: undefined,
      asyncAmdStatusCallbackMethod: undefined,
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
    this.recordings.clear();
    this.webhooks.clear();
    this.failures.length = 0;
    this.delayMs = 0;
    this.mediaHold = undefined;
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

    const media = this.media(req.method ?? 'GET', path, credentials);
    if (media !== undefined) {
      res.writeHead(200, { 'content-type': media.type, 'content-length': String(media.bytes.length) });
      for (let at = 0; at < media.bytes.length; at += MEDIA_CHUNK_BYTES) {
        if (!res.write(media.bytes.subarray(at, at + MEDIA_CHUNK_BYTES)))
          await new Promise((r) => res.once('drain', r));
        if (at === 0 && this.mediaHold !== undefined) await this.mediaHold;
      }
      res.end();
      return;
    }
    const reply = this.route(req.method ?? 'GET', path, credentials, params);
    if (reply.status === 204) {
      res.writeHead(204).end();
    } else {
      res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(reply.body));
    }
    for (const next of reply.afterReply ?? []) void next();
  }

  /** `GET …/Recordings/{Sid}.wav|.mp3` of a completed recording, with the account's credentials. */
  private media(
    method: string,
    path: string,
    credentials: { username: string; password: string } | undefined,
  ): { type: string; bytes: Buffer } | undefined {
    const match = RECORDING.exec(path);
    if (method !== 'GET' || !match || match[3] === 'json' || !this.authorised(credentials, match[1])) return;
    const recording = this.recordings.get(match[2] ?? '');
    if (recording?.status !== 'completed' || recording.media === undefined) return;
    return { type: match[3] === 'mp3' ? 'audio/mpeg' : 'audio/x-wav', bytes: recording.media };
  }

  private authorised(
    credentials: { username: string; password: string } | undefined,
    accountSid: string | undefined,
  ): boolean {
    return (
      credentials?.username === this.options.accountSid &&
      credentials.password === this.options.authToken &&
      accountSid === this.options.accountSid
    );
  }

  private route(
    method: string,
    path: string,
    credentials: { username: string; password: string } | undefined,
    params: Record<string, string | string[]>,
  ): Reply {
    const calls = CALLS.exec(path);
    const call = CALL.exec(path);
    const callRecordings = CALL_RECORDINGS.exec(path);
    const recording = RECORDING.exec(path);
    const accountSid = calls?.[1] ?? call?.[1] ?? callRecordings?.[1] ?? recording?.[1];
    if (accountSid === undefined) return errorReply(notFound(path));
    if (!this.authorised(credentials, accountSid)) {
      return errorReply({ status: 401, code: 20003, message: 'Authenticate' });
    }
    if (calls && method === 'POST') return this.createCall(accountSid, params);
    if (callRecordings && method === 'POST') return this.startRecording(callRecordings[2] ?? '', params);
    if (recording) {
      const stored = this.recordings.get(recording[2] ?? '');
      // Audio that is not ready (or a resource that is not there) is Twilio's 404.
      if (!stored || recording[3] !== 'json') return errorReply(notFound(path));
      if (method === 'GET') return { status: 200, body: recordingResource(stored) };
      if (method === 'DELETE') {
        this.recordings.delete(stored.sid);
        return { status: 204, body: undefined };
      }
    }
    if (call) {
      const stored = this.calls.get(call[2] ?? '');
      if (!stored) return errorReply(notFound(path));
      if (method === 'GET') return { status: 200, body: callResource(stored) };
      if (method === 'POST') return this.updateCall(stored, params);
    }
    return errorReply({ status: 405, code: 20004, message: 'Method not allowed' });
  }

  /**
   * Starts a recording of a call in progress (21220 otherwise, as Twilio refuses one): `RecordingChannels`
   * mono or dual, its status callback and events; an `in-progress` callback follows the reply when asked for.
   */
  private startRecording(callSid: string, params: Record<string, string | string[]>): Reply {
    const failure = this.failures.shift();
    if (failure) return errorReply(failure);
    const call = this.calls.get(callSid);
    if (call === undefined) return errorReply(notFound(`/Calls/${callSid}`));
    if (call.status !== 'in-progress') {
      return errorReply({ status: 400, code: 21220, message: 'Requested call is not in-progress.' });
    }
    const channels = single(params.RecordingChannels) ?? 'mono';
    if (channels !== 'mono' && channels !== 'dual') {
      return errorReply({ status: 400, code: 20001, message: `Invalid RecordingChannels: ${channels}` });
    }
    const now = new Date();
    const recording: FakeTwilioRecording = {
      sid: newRecordingSid(),
      accountSid: call.accountSid,
      callSid,
      status: 'in-progress',
      channels: channels === 'dual' ? 2 : 1,
      track: single(params.RecordingTrack) ?? 'both',
      source: 'StartCallRecordingAPI',
      statusCallback: single(params.RecordingStatusCallback),
      statusCallbackMethod: single(params.RecordingStatusCallbackMethod),
      statusCallbackEvent: list(params.RecordingStatusCallbackEvent)
        .flatMap((e) => e.split(' '))
        .filter(Boolean),
      startTime: now,
      durationSeconds: undefined,
      media: undefined,
      errorCode: undefined,
      dateCreated: now,
      dateUpdated: now,
    };
    this.recordings.set(recording.sid, recording);
    const inProgress = async () => {
      await sendRecordingCallback(this.webhooks, recording, 'in-progress');
    };
    return { status: 201, body: recordingResource(recording), afterReply: [inProgress] };
  }

  private createCall(accountSid: string, params: Record<string, string | string[]>): Reply {
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
      machineDetection: single(params.MachineDetection),
      asyncAmd: single(params.AsyncAmd),
      asyncAmdStatusCallback: single(params.AsyncAmdStatusCallback),
      asyncAmdStatusCallbackMethod: single(params.AsyncAmdStatusCallbackMethod),
      dateCreated: now,
      dateUpdated: now,
    };
    this.calls.set(created.sid, created);
    this.track();
    for (const listener of this.createdListeners) listener(created);
    return { status: 201, body: callResource(created) };
  }

  private updateCall(stored: FakeTwilioCall, params: Record<string, string | string[]>): Reply {
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

/** A JSON reply (none for 204), and what the fake does once it is sent (a callback Twilio would send next). */
interface Reply {
  status: number;
  body: unknown;
  afterReply?: Array<() => Promise<void>>;
}

function errorReply(reply: TwilioErrorReply): Reply {
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
