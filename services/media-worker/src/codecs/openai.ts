import {
  type OutputAudioDeltaEvent,
  type RealtimeClientEvent,
  RealtimeServerEvent,
} from '@switchboard/contracts';
import { isBase64 } from './base64.js';

/** A frame from the Realtime API: an event we read, or one we do not (logged at debug, then ignored). */
export type RealtimeFrame =
  | RealtimeServerEvent
  | { type: '#unknown'; name: string }
  | { type: '#invalid'; reason: string };

const KNOWN_TYPES: ReadonlySet<string> = new Set(
  RealtimeServerEvent.options.map((option) => option.shape.type.value),
);

/**
 * Parses one text frame from the Realtime API. `response.output_audio.delta` (the agent's speech, 50 or
 * more a second) takes a fast path: `JSON.parse` and a check by hand of the fields the bridge uses, the
 * audio included, since it is spliced into outgoing JSON. Other known events go through the contracts' zod
 * schemas; the many events the worker has no use for are `#unknown`.
 */
export function decodeRealtimeFrame(text: string): RealtimeFrame {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { type: '#invalid', reason: 'not JSON' };
  }
  if (typeof raw !== 'object' || raw === null) return { type: '#invalid', reason: 'not a JSON object' };
  const type = (raw as { type?: unknown }).type;
  if (type === 'response.output_audio.delta') return checkAudioDelta(raw as OutputAudioDeltaEvent);
  if (typeof type !== 'string') return { type: '#invalid', reason: 'no type' };
  if (!KNOWN_TYPES.has(type)) return { type: '#unknown', name: type.slice(0, 100) };
  const parsed = RealtimeServerEvent.safeParse(raw);
  if (!parsed.success) return { type: '#invalid', reason: `bad ${type}: ${parsed.error.issues[0]?.message}` };
  return parsed.data;
}

function checkAudioDelta(raw: OutputAudioDeltaEvent): RealtimeFrame {
  if (
    typeof raw.delta === 'string' &&
    typeof raw.response_id === 'string' &&
    typeof raw.item_id === 'string' &&
    typeof raw.content_index === 'number' &&
    isBase64(raw.delta)
  ) {
    return raw;
  }
  return { type: '#invalid', reason: 'malformed response.output_audio.delta' };
}

/**
 * Serialises a client event. `input_audio_buffer.append` is built by concatenation: its audio is base64
 * (checked by the Twilio codec), so it cannot need escaping.
 */
export function encodeRealtime(event: RealtimeClientEvent): string {
  if (event.type === 'input_audio_buffer.append' && event.event_id === undefined) {
    return `{"type":"input_audio_buffer.append","audio":"${event.audio}"}`;
  }
  return JSON.stringify(event);
}
