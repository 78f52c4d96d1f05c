import {
  type TwilioConnectedMessage,
  type TwilioDtmfMessage,
  TwilioInboundMessage,
  type TwilioOutboundMessage,
  type TwilioStartMessage,
  type TwilioStopMessage,
} from '@switchboard/contracts';
import { assertNever } from '../assert-never.js';
import type { AudioBytes } from '../bridge/types.js';
import { isBase64, isBase64Bytes } from './base64.js';
import { hasNoEscapes, integerField, keyPattern, startsWith, stringField } from './json-bytes.js';

/** A frame from Twilio: what the worker reads of it, or a frame it does not understand (logged, ignored). */
export type TwilioFrame =
  | { event: 'media'; payload: AudioBytes; timestampMs: number }
  | { event: 'mark'; name: string }
  | TwilioConnectedMessage
  | TwilioStartMessage
  | TwilioDtmfMessage
  | TwilioStopMessage
  | { event: '#unknown'; name: string }
  | { event: '#invalid'; reason: string };

const KNOWN_EVENTS: ReadonlySet<string> = new Set(['connected', 'start', 'media', 'mark', 'dtmf', 'stop']);
const MEDIA_PREFIX = Buffer.from('{"event":"media",');
const PAYLOAD = keyPattern('payload', true);
const TIMESTAMP = keyPattern('timestamp', false);

/**
 * Parses one text frame from Twilio. `media` (50 a second per call) is read from its bytes when it has the
 * shape Twilio sends (json-bytes.ts): the payload stays a view of the frame and is checked to be base64.
 * Everything else, and any media frame of another shape, goes through `JSON.parse` and the contracts' zod
 * schemas.
 */
export function decodeTwilioFrame(frame: Buffer): TwilioFrame {
  if (startsWith(frame, MEDIA_PREFIX) && hasNoEscapes(frame)) {
    const payload = stringField(frame, PAYLOAD);
    const timestampMs = integerField(frame, TIMESTAMP);
    if (payload !== undefined && timestampMs !== undefined) {
      if (!isBase64Bytes(payload)) return { event: '#invalid', reason: 'media payload is not base64' };
      return { event: 'media', payload, timestampMs };
    }
  }
  let raw: unknown;
  try {
    raw = JSON.parse(frame.toString());
  } catch {
    return { event: '#invalid', reason: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null) return { event: '#invalid', reason: 'not a JSON object' };
  const event = (raw as { event?: unknown }).event;
  if (typeof event !== 'string') return { event: '#invalid', reason: 'no event' };
  if (!KNOWN_EVENTS.has(event)) return { event: '#unknown', name: event.slice(0, 64) };
  const parsed = TwilioInboundMessage.safeParse(raw);
  if (!parsed.success)
    return { event: '#invalid', reason: `bad ${event}: ${parsed.error.issues[0]?.message}` };
  const message = parsed.data;
  switch (message.event) {
    case 'media': {
      const { payload, timestamp } = message.media;
      if (!isBase64(payload)) return { event: '#invalid', reason: 'media payload is not base64' };
      return { event: 'media', payload: Buffer.from(payload, 'latin1'), timestampMs: Number(timestamp) };
    }
    case 'mark':
      return { event: 'mark', name: message.mark.name };
    case 'connected':
    case 'start':
    case 'dtmf':
    case 'stop':
      return message;
    default:
      return assertNever(message);
  }
}

const MEDIA_TAIL = Buffer.from('"}}');

/**
 * Builds what goes back to one stream. Media is spliced from bytes: the payload is base64 (checked by the
 * Realtime codec) and the streamSid matches its pattern (checked at `start`), so neither needs escaping.
 */
export class TwilioEncoder {
  private readonly mediaHead: Buffer;

  constructor(private readonly streamSid: string) {
    this.mediaHead = Buffer.from(`{"event":"media","streamSid":"${streamSid}","media":{"payload":"`);
  }

  media(payload: AudioBytes): Buffer {
    const head = this.mediaHead;
    const out = Buffer.allocUnsafe(head.length + payload.length + MEDIA_TAIL.length);
    head.copy(out, 0);
    out.set(payload, head.length);
    MEDIA_TAIL.copy(out, head.length + payload.length);
    return out;
  }

  mark(name: string): string {
    return `{"event":"mark","streamSid":"${this.streamSid}","mark":{"name":${JSON.stringify(name)}}}`;
  }

  message(message: TwilioOutboundMessage): string {
    return JSON.stringify(message);
  }
}
