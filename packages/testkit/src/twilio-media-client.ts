import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import {
  BASE64_PATTERN,
  base64ByteLength,
  MULAW_BYTES_PER_MS,
  TwilioOutboundMessage,
} from '@switchboard/contracts';
import WebSocket from 'ws';
import { twilioSignature } from './twilio-signature.js';

export interface TwilioMediaClientOptions {
  /** Where to dial, e.g. `ws://127.0.0.1:3001/media-stream`. */
  url: string;
  /** Signs the upgrade as Twilio does (HMAC-SHA1 of `signedUrl`, no params) with this token. */
  authToken?: string;
  /** The URL Twilio was given (`PUBLIC_MEDIA_URL`); defaults to `url`. */
  signedUrl?: string;
  /** An explicit `X-Twilio-Signature` (wins over `authToken`). */
  signature?: string;
  /**
   * How the "caller's phone" plays the audio it gets: `realtime` plays at 1x on a timer and echoes each mark
   * once the audio before it has played; `manual` plays only when the test calls `play(ms)`.
   */
  playback?: 'realtime' | 'manual';
  /** Keep every message received (default true; load tests turn it off and use the hooks). */
  record?: boolean;
  onMedia?: (payload: string) => void;
  onClear?: () => void;
}

/** An upgrade the server refused. */
export class UpgradeRefusedError extends Error {
  constructor(readonly status: number) {
    super(`WebSocket upgrade refused with ${status}`);
  }
}

type Queued = { kind: 'audio'; ms: number } | { kind: 'mark'; name: string };

const PLAYBACK_TICK_MS = 20;

/**
 * Twilio's side of a bidirectional Media Stream over a real socket: a signed upgrade, then `connected`,
 * `start`, `media`, `dtmf`, `stop` as Twilio sends them. Audio from the server is "played" in order and each
 * mark echoed when the audio before it has played; `clear` drops what is unplayed and echoes the pending
 * marks at once, as Twilio does. Everything received is recorded.
 */
export class TwilioMediaClient {
  readonly streamSid = `MZ${randomBytes(16).toString('hex')}`;
  readonly accountSid = `AC${randomBytes(16).toString('hex')}`;
  /** Messages received, parsed (when `record`). */
  readonly received: TwilioOutboundMessage[] = [];
  /** Frames received that were not valid Twilio messages. */
  readonly invalid: string[] = [];
  /** Audio payloads received, in order (when `record`). */
  readonly media: string[] = [];
  /** Names of the marks echoed back, in order (when `record`). */
  readonly echoed: string[] = [];
  clears = 0;
  /** Milliseconds of audio played so far. */
  playedMs = 0;
  readonly closed: Promise<{ code: number; reason: string }>;
  private queue: Queued[] = [];
  private sequence = 0;
  private startedAt = performance.now();
  private chunk = 0;
  private ticker: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private waiters: Array<() => void> = [];

  private constructor(
    private readonly ws: WebSocket,
    private readonly options: TwilioMediaClientOptions,
  ) {
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        clearInterval(this.ticker);
        resolve({ code, reason: reason.toString() });
        this.wake();
      });
    });
    ws.on('message', (data) => this.onMessage(data.toString()));
  }

  static connect(options: TwilioMediaClientOptions): Promise<TwilioMediaClient> {
    const headers: Record<string, string> = {};
    const signature =
      options.signature ??
      (options.authToken ? twilioSignature(options.authToken, options.signedUrl ?? options.url) : undefined);
    if (signature !== undefined) headers['x-twilio-signature'] = signature;
    const ws = new WebSocket(options.url, { headers, perMessageDeflate: false });
    const client = new TwilioMediaClient(ws, options);
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res: IncomingMessage) => {
        reject(new UpgradeRefusedError(res.statusCode ?? 0));
        res.resume();
        ws.terminate();
      });
      ws.once('error', reject);
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  sendConnected(): void {
    this.send({ event: 'connected', protocol: 'Call', version: '1.0.0' });
  }

  /** `start` for `callSid`; the `<Parameter>`s default to `{callSid}` as the gateway's TwiML sets them. */
  sendStart(callSid: string, customParameters: Record<string, string> = { callSid }): void {
    this.startedAt = performance.now();
    this.send({
      event: 'start',
      sequenceNumber: String(++this.sequence),
      start: {
        accountSid: this.accountSid,
        streamSid: this.streamSid,
        callSid,
        tracks: ['inbound'],
        mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        customParameters,
      },
      streamSid: this.streamSid,
    });
  }

  /** One frame of caller audio; its timestamp is the time since `start` (as Twilio's) unless given. */
  sendMedia(payload: string, timestampMs?: number): void {
    const chunk = ++this.chunk;
    const timestamp = timestampMs ?? Math.round(performance.now() - this.startedAt);
    this.ws.send(
      `{"event":"media","sequenceNumber":"${++this.sequence}","media":{"track":"inbound","chunk":"${chunk}","timestamp":"${timestamp}","payload":"${payload}"},"streamSid":"${this.streamSid}"}`,
    );
  }

  sendDtmf(digit: string): void {
    this.send({
      event: 'dtmf',
      streamSid: this.streamSid,
      sequenceNumber: String(++this.sequence),
      dtmf: { track: 'inbound_track', digit },
    });
  }

  sendStop(callSid: string): void {
    this.send({
      event: 'stop',
      sequenceNumber: String(++this.sequence),
      streamSid: this.streamSid,
      stop: { accountSid: this.accountSid, callSid },
    });
  }

  /** Any text frame, as is (for garbage). */
  sendRaw(text: string): void {
    this.ws.send(text);
  }

  /** Plays `ms` of the queued audio (manual playback), echoing the marks reached. */
  play(ms: number): void {
    let left = ms;
    while (this.queue.length > 0) {
      const head = this.queue[0] as Queued;
      if (head.kind === 'mark') {
        this.queue.shift();
        this.echo(head.name);
        continue;
      }
      if (left <= 0) break;
      const step = Math.min(left, head.ms);
      head.ms -= step;
      left -= step;
      this.playedMs += step;
      if (head.ms <= 0) this.queue.shift();
    }
  }

  /** Milliseconds of audio received and not played yet. */
  get queuedMs(): number {
    return this.queue.reduce((sum, q) => sum + (q.kind === 'audio' ? q.ms : 0), 0);
  }

  close(code = 1000): void {
    this.ws.close(code);
  }

  /** Drops the TCP connection without a close frame. */
  terminate(): void {
    this.ws.terminate();
  }

  /** Resolves when `predicate` holds (checked on every message received), or throws after `timeoutMs`. */
  async waitFor(predicate: () => boolean, timeoutMs = 5_000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private send(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }

  private onMessage(text: string): void {
    const message = this.parse(text);
    if (message === undefined) {
      this.invalid.push(text);
      this.wake();
      return;
    }
    const record = this.options.record ?? true;
    if (record) this.received.push(message);
    switch (message.event) {
      case 'media':
        if (record) this.media.push(message.media.payload);
        this.options.onMedia?.(message.media.payload);
        this.enqueue({ kind: 'audio', ms: base64ByteLength(message.media.payload) / MULAW_BYTES_PER_MS });
        break;
      case 'mark':
        this.enqueue({ kind: 'mark', name: message.mark.name });
        break;
      case 'clear': {
        this.clears++;
        const pending = this.queue.filter((q): q is Queued & { kind: 'mark' } => q.kind === 'mark');
        this.queue = [];
        for (const mark of pending) this.echo(mark.name);
        this.options.onClear?.();
        break;
      }
    }
    this.wake();
  }

  /**
   * A message from the server, checked against the contract. Media and marks (most of the traffic) are
   * checked by hand, so that a load test measures the server rather than this client's parsing.
   */
  private parse(text: string): TwilioOutboundMessage | undefined {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return undefined;
    }
    const candidate = raw as { event?: unknown; streamSid?: unknown; media?: { payload?: unknown } };
    if (candidate.streamSid !== this.streamSid) return undefined;
    if (candidate.event === 'media' && typeof candidate.media?.payload === 'string') {
      return BASE64_PATTERN.test(candidate.media.payload) ? (raw as TwilioOutboundMessage) : undefined;
    }
    const parsed = TwilioOutboundMessage.safeParse(raw);
    return parsed.success ? parsed.data : undefined;
  }

  private enqueue(item: Queued): void {
    this.queue.push(item);
    if ((this.options.playback ?? 'realtime') === 'manual') {
      if (item.kind === 'mark' && this.queue.length === 1) this.play(0);
      return;
    }
    if (this.ticker === undefined) {
      this.lastTick = performance.now();
      this.play(0);
      this.ticker = setInterval(() => {
        const now = performance.now();
        this.play(now - this.lastTick);
        this.lastTick = now;
        if (this.queue.length === 0) {
          clearInterval(this.ticker);
          this.ticker = undefined;
        }
      }, PLAYBACK_TICK_MS);
    }
  }

  private echo(name: string): void {
    if (this.options.record ?? true) this.echoed.push(name);
    if (this.ws.readyState !== WebSocket.OPEN) return;
    this.ws.send(
      `{"event":"mark","sequenceNumber":"${++this.sequence}","streamSid":"${this.streamSid}","mark":{"name":${JSON.stringify(name)}}}`,
    );
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}
