import type { Socket } from 'node:net';
import type { TwilioOutboundMessage } from '@switchboard/contracts';
import WebSocket from 'ws';
import type { AudioBytes } from './bridge/types.js';
import { TwilioEncoder } from './codecs/twilio.js';

/** After our close frame, how long Twilio gets to answer before the socket is destroyed. */
export const TWILIO_CLOSE_GRACE_MS = 2_000;
/** A WebSocket close frame has room for 123 bytes of reason. */
const MAX_CLOSE_REASON_BYTES = 123;

/** The Twilio side of one stream: what goes back to Twilio, and the close. No protocol decisions here. */
export class TwilioSocket {
  private encoder: TwilioEncoder | undefined;

  constructor(
    private readonly ws: WebSocket,
    readonly tcp: Socket,
  ) {}

  /** Twilio's `start` named the stream: messages carry its streamSid from now on. */
  started(streamSid: string): void {
    this.encoder = new TwilioEncoder(streamSid);
  }

  /** A chunk of agent audio as `media`, then its `mark`; false when it could not be sent. */
  sendAudio(payload: AudioBytes, mark: string): boolean {
    const encoder = this.encoder;
    if (encoder === undefined || this.ws.readyState !== WebSocket.OPEN) return false;
    // Both frames leave in one writev: one system call per chunk instead of two.
    this.tcp.cork();
    this.ws.send(encoder.media(payload), { binary: false });
    this.ws.send(encoder.mark(mark));
    this.tcp.uncork();
    return true;
  }

  send(message: TwilioOutboundMessage): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }

  /** Closes with `code` and `reason`, and for good after TWILIO_CLOSE_GRACE_MS. */
  close(code: number, reason: string): void {
    const state = this.ws.readyState;
    if (state !== WebSocket.OPEN && state !== WebSocket.CONNECTING) return;
    this.ws.close(code, truncateUtf8(reason, MAX_CLOSE_REASON_BYTES));
    setTimeout(() => this.ws.terminate(), TWILIO_CLOSE_GRACE_MS).unref();
  }
}

/** `text` cut to `maxBytes` of UTF-8, never inside a character. */
function truncateUtf8(text: string, maxBytes: number): string {
  const bytes = Buffer.from(text);
  if (bytes.length <= maxBytes) return text;
  return bytes
    .subarray(0, maxBytes)
    .toString()
    .replace(/\uFFFD$/, '');
}
