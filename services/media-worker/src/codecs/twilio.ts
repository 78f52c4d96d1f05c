import {
  TwilioInboundMessage,
  type TwilioMarkMessage,
  type TwilioMediaMessage,
  type TwilioOutboundMessage,
} from '@switchboard/contracts';
import { assertNever } from '../assert-never.js';
import { isBase64 } from './base64.js';

/** A frame from Twilio: one of its messages, or a frame we do not understand (logged, then ignored). */
export type TwilioFrame =
  | TwilioInboundMessage
  | { event: '#unknown'; name: string }
  | { event: '#invalid'; reason: string };

const KNOWN_EVENTS: ReadonlySet<string> = new Set(['connected', 'start', 'media', 'mark', 'dtmf', 'stop']);

/**
 * Parses one text frame from Twilio. `media` and `mark` (100 frames a second per call between them) take a
 * fast path: `JSON.parse` and a check of the fields the worker uses, by hand; the rest goes through the
 * contracts' zod schemas. Either way the caller gets a typed message or `#unknown` / `#invalid`.
 */
export function decodeTwilioFrame(text: string): TwilioFrame {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { event: '#invalid', reason: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null) return { event: '#invalid', reason: 'not a JSON object' };
  const event = (raw as { event?: unknown }).event;
  if (event === 'media') return checkMedia(raw as TwilioMediaMessage);
  if (event === 'mark') return checkMark(raw as TwilioMarkMessage);
  if (typeof event !== 'string') return { event: '#invalid', reason: 'no event' };
  if (!KNOWN_EVENTS.has(event)) return { event: '#unknown', name: event.slice(0, 64) };
  const parsed = TwilioInboundMessage.safeParse(raw);
  if (!parsed.success)
    return { event: '#invalid', reason: `bad ${event}: ${parsed.error.issues[0]?.message}` };
  return parsed.data;
}

function checkMedia(raw: TwilioMediaMessage): TwilioFrame {
  const media = raw.media as Partial<TwilioMediaMessage['media']> | undefined;
  if (typeof media !== 'object' || media === null)
    return { event: '#invalid', reason: 'media without media' };
  const { payload, timestamp } = media;
  if (typeof payload !== 'string' || !isBase64(payload)) {
    return { event: '#invalid', reason: 'media payload is not base64' };
  }
  if (typeof timestamp === 'string' ? !/^\d{1,15}$/.test(timestamp) : typeof timestamp !== 'number') {
    return { event: '#invalid', reason: 'media without timestamp' };
  }
  return raw;
}

function checkMark(raw: TwilioMarkMessage): TwilioFrame {
  const name = (raw.mark as { name?: unknown } | undefined)?.name;
  if (typeof name !== 'string') return { event: '#invalid', reason: 'mark without name' };
  return raw;
}

/**
 * Serialises a message for Twilio. Media and marks are built by concatenation rather than JSON.stringify:
 * the payload is base64 (checked by the Realtime codec) and the streamSid matches its pattern (checked at
 * `start`), so neither can need escaping.
 */
export function encodeTwilio(message: TwilioOutboundMessage): string {
  switch (message.event) {
    case 'media':
      return `{"event":"media","streamSid":"${message.streamSid}","media":{"payload":"${message.media.payload}"}}`;
    case 'mark':
      return `{"event":"mark","streamSid":"${message.streamSid}","mark":{"name":${JSON.stringify(message.mark.name)}}}`;
    case 'clear':
      return `{"event":"clear","streamSid":"${message.streamSid}"}`;
    default:
      return assertNever(message);
  }
}
