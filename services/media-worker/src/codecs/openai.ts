import { type RealtimeClientEvent, RealtimeServerEvent } from '@switchboard/contracts';
import type { AudioBytes } from '../bridge/types.js';
import { isBase64, isBase64Bytes } from './base64.js';
import { integerField, isPlainFlatObject, keyPattern, stringField } from './json-bytes.js';

/** A frame from the Realtime API: an event we read, or one we do not (logged at debug, then ignored). */
export type RealtimeFrame =
  | Exclude<RealtimeServerEvent, { type: 'response.output_audio.delta' }>
  | {
      type: 'response.output_audio.delta';
      response_id: string;
      item_id: string;
      content_index: number;
      payload: AudioBytes;
    }
  | { type: '#unknown'; name: string }
  | { type: '#invalid'; reason: string };

const KNOWN_TYPES: ReadonlySet<string> = new Set(
  RealtimeServerEvent.options.map((option) => option.shape.type.value),
);
const AUDIO_DELTA = Buffer.from('"type":"response.output_audio.delta"');
const RESPONSE_ID = keyPattern('response_id', true);
const ITEM_ID = keyPattern('item_id', true);
const CONTENT_INDEX = keyPattern('content_index', false);
const DELTA = keyPattern('delta', true);

/**
 * Parses one text frame from the Realtime API. `response.output_audio.delta` (the agent's speech, 50 or more
 * a second) is read from its bytes (json-bytes.ts): the audio stays a view of the frame, checked to be
 * base64 since it is spliced into outgoing JSON. Other known events go through the contracts' zod schemas;
 * the many events the worker has no use for are `#unknown`.
 */
export function decodeRealtimeFrame(frame: Buffer): RealtimeFrame {
  if (isPlainFlatObject(frame) && frame.indexOf(AUDIO_DELTA) > 0) return audioDelta(frame);
  let raw: unknown;
  try {
    raw = JSON.parse(frame.toString());
  } catch {
    return { type: '#invalid', reason: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null) return { type: '#invalid', reason: 'not a JSON object' };
  const type = (raw as { type?: unknown }).type;
  if (typeof type !== 'string') return { type: '#invalid', reason: 'no type' };
  if (!KNOWN_TYPES.has(type)) return { type: '#unknown', name: type.slice(0, 100) };
  const parsed = RealtimeServerEvent.safeParse(raw);
  if (!parsed.success) return { type: '#invalid', reason: `bad ${type}: ${parsed.error.issues[0]?.message}` };
  const event = parsed.data;
  if (event.type !== 'response.output_audio.delta') return event;
  // A delta of another shape (escapes, nesting) than the one read from bytes.
  if (!isBase64(event.delta))
    return { type: '#invalid', reason: 'response.output_audio.delta is not base64' };
  const { response_id, item_id, content_index, delta } = event;
  return { type: event.type, response_id, item_id, content_index, payload: Buffer.from(delta, 'latin1') };
}

function audioDelta(frame: Buffer): RealtimeFrame {
  const responseId = stringField(frame, RESPONSE_ID);
  const itemId = stringField(frame, ITEM_ID);
  const contentIndex = integerField(frame, CONTENT_INDEX);
  const payload = stringField(frame, DELTA);
  if (
    responseId === undefined ||
    itemId === undefined ||
    contentIndex === undefined ||
    payload === undefined
  ) {
    return { type: '#invalid', reason: 'malformed response.output_audio.delta' };
  }
  if (!isBase64Bytes(payload))
    return { type: '#invalid', reason: 'response.output_audio.delta is not base64' };
  return {
    type: 'response.output_audio.delta',
    response_id: responseId.toString(),
    item_id: itemId.toString(),
    content_index: contentIndex,
    payload,
  };
}

const APPEND_HEAD = Buffer.from('{"type":"input_audio_buffer.append","audio":"');
const APPEND_TAIL = Buffer.from('"}');

/** `input_audio_buffer.append` spliced from bytes: the audio is base64 (checked by the Twilio codec). */
export function encodeAppend(payload: AudioBytes): Buffer {
  const out = Buffer.allocUnsafe(APPEND_HEAD.length + payload.length + APPEND_TAIL.length);
  APPEND_HEAD.copy(out, 0);
  out.set(payload, APPEND_HEAD.length);
  APPEND_TAIL.copy(out, APPEND_HEAD.length + payload.length);
  return out;
}

export function encodeRealtime(event: RealtimeClientEvent): string {
  return JSON.stringify(event);
}
