import { z } from 'zod';

/**
 * Twilio Media Streams over WebSocket (bidirectional, `<Connect><Stream>`): the messages Twilio sends
 * (`connected`, `start`, `media`, `dtmf`, `mark`, `stop`) and the ones a server sends back (`media`, `mark`,
 * `clear`). Audio is mu-law 8 kHz mono, base64 in `payload`.
 * https://www.twilio.com/docs/voice/media-streams/websocket-messages
 */

/** `MZ` followed by 32 hex digits. */
export const STREAM_SID_PATTERN = /^MZ[0-9a-fA-F]{32}$/;
export const StreamSid = z
  .string()
  .regex(STREAM_SID_PATTERN, 'streamSid must be MZ followed by 32 hex digits');

/** Standard base64 (what Twilio and OpenAI put in audio payloads). */
export const BASE64_PATTERN = /^[A-Za-z0-9+/]*={0,2}$/;
export const Base64Audio = z.string().regex(BASE64_PATTERN, 'audio must be base64');

/** Twilio sends numbers as strings (`"sequenceNumber": "3"`); accept either. */
const NumericString = z.union([z.string().regex(/^\d+$/), z.number().int().nonnegative()]);

/** Bytes of mu-law audio per millisecond at 8 kHz. */
export const MULAW_BYTES_PER_MS = 8;

export const TwilioConnectedMessage = z.object({
  event: z.literal('connected'),
  protocol: z.string().optional(),
  version: z.string().optional(),
});
export type TwilioConnectedMessage = z.infer<typeof TwilioConnectedMessage>;

export const TwilioStartMessage = z.object({
  event: z.literal('start'),
  sequenceNumber: NumericString.optional(),
  streamSid: StreamSid,
  start: z.object({
    streamSid: StreamSid,
    accountSid: z.string().max(64),
    callSid: z.string().max(64),
    tracks: z.array(z.string()).default(['inbound']),
    /** The `<Parameter>`s of the `<Stream>` noun. */
    customParameters: z.record(z.string(), z.string()).default({}),
    mediaFormat: z.object({ encoding: z.string(), sampleRate: z.number(), channels: z.number() }).optional(),
  }),
});
export type TwilioStartMessage = z.infer<typeof TwilioStartMessage>;

export const TwilioMediaMessage = z.object({
  event: z.literal('media'),
  sequenceNumber: NumericString.optional(),
  streamSid: StreamSid,
  media: z.object({
    track: z.string(),
    chunk: NumericString,
    /** Milliseconds since the stream began. */
    timestamp: NumericString,
    payload: Base64Audio,
  }),
});
export type TwilioMediaMessage = z.infer<typeof TwilioMediaMessage>;

/** Twilio echoes a `mark` the server sent once the audio before it has played (or was cleared). */
export const TwilioMarkMessage = z.object({
  event: z.literal('mark'),
  sequenceNumber: NumericString.optional(),
  streamSid: StreamSid,
  mark: z.object({ name: z.string().max(256) }),
});
export type TwilioMarkMessage = z.infer<typeof TwilioMarkMessage>;

export const TwilioDtmfMessage = z.object({
  event: z.literal('dtmf'),
  sequenceNumber: NumericString.optional(),
  streamSid: StreamSid,
  dtmf: z.object({ track: z.string().optional(), digit: z.string().regex(/^[0-9*#A-D]$/) }),
});
export type TwilioDtmfMessage = z.infer<typeof TwilioDtmfMessage>;

export const TwilioStopMessage = z.object({
  event: z.literal('stop'),
  sequenceNumber: NumericString.optional(),
  streamSid: StreamSid,
  stop: z.object({ accountSid: z.string().max(64), callSid: z.string().max(64) }).optional(),
});
export type TwilioStopMessage = z.infer<typeof TwilioStopMessage>;

/** Everything Twilio sends on a bidirectional stream. */
export const TwilioInboundMessage = z.discriminatedUnion('event', [
  TwilioConnectedMessage,
  TwilioStartMessage,
  TwilioMediaMessage,
  TwilioMarkMessage,
  TwilioDtmfMessage,
  TwilioStopMessage,
]);
export type TwilioInboundMessage = z.infer<typeof TwilioInboundMessage>;

/** Audio for Twilio to play to the caller. */
export const TwilioOutboundMedia = z.object({
  event: z.literal('media'),
  streamSid: StreamSid,
  media: z.object({ payload: Base64Audio }),
});
export type TwilioOutboundMedia = z.infer<typeof TwilioOutboundMedia>;

/** Twilio echoes it back once everything sent before it has played. */
export const TwilioOutboundMark = z.object({
  event: z.literal('mark'),
  streamSid: StreamSid,
  mark: z.object({ name: z.string().min(1).max(256) }),
});
export type TwilioOutboundMark = z.infer<typeof TwilioOutboundMark>;

/** Drops the audio Twilio has buffered and not played yet; pending marks are echoed at once. */
export const TwilioOutboundClear = z.object({
  event: z.literal('clear'),
  streamSid: StreamSid,
});
export type TwilioOutboundClear = z.infer<typeof TwilioOutboundClear>;

export const TwilioOutboundMessage = z.discriminatedUnion('event', [
  TwilioOutboundMedia,
  TwilioOutboundMark,
  TwilioOutboundClear,
]);
export type TwilioOutboundMessage = z.infer<typeof TwilioOutboundMessage>;

/** Length in bytes of base64 text, computed without decoding it. */
export function base64ByteLength(b64: string): number {
  const len = b64.length;
  if (len === 0) return 0;
  let padding = 0;
  if (b64.charCodeAt(len - 1) === 61 /* = */) padding++;
  if (len > 1 && b64.charCodeAt(len - 2) === 61) padding++;
  return Math.floor((len * 3) / 4) - padding;
}
