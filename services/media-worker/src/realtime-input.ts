import type { Logger } from '@switchboard/logger';
import { assertNever } from './assert-never.js';
import { END_CALL_TOOL_NAME } from './bridge/session-config.js';
import type { BridgeInput } from './bridge/types.js';
import { decodeRealtimeFrame } from './codecs/openai.js';

/** Errors that are expected in a normal call and not worth a warning. */
const QUIET_ERROR_CODES: ReadonlySet<string> = new Set([
  // Server VAD cancels the response itself when the caller barges in; our cancel then finds none running.
  'response_cancel_not_active',
]);

/**
 * What a Realtime frame means for the bridge: an input, `undefined` for events with nothing to do (logged
 * here when worth it), or `'bad'` for a frame that could not be read.
 */
export function realtimeInput(text: string, log: Logger): BridgeInput | 'bad' | undefined {
  const event = decodeRealtimeFrame(text);
  switch (event.type) {
    case 'response.output_audio.delta':
      return {
        kind: 'agent-audio',
        responseId: event.response_id,
        itemId: event.item_id,
        contentIndex: event.content_index,
        delta: event.delta,
      };
    case 'session.updated':
      return { kind: 'realtime-ready' };
    case 'input_audio_buffer.speech_started':
      return { kind: 'speech-started', itemId: event.item_id, audioStartMs: event.audio_start_ms };
    case 'conversation.item.input_audio_transcription.completed':
      return { kind: 'caller-transcript', itemId: event.item_id, text: event.transcript };
    case 'response.created':
      return { kind: 'response-created', responseId: event.response.id };
    case 'response.done':
      return {
        kind: 'response-done',
        responseId: event.response.id,
        status: event.response.status ?? 'completed',
      };
    case 'response.output_audio_transcript.done':
      return {
        kind: 'agent-transcript',
        responseId: event.response_id,
        itemId: event.item_id,
        text: event.transcript,
      };
    case 'response.output_item.done':
      if (event.item.type !== 'function_call') return undefined;
      if (event.item.name === END_CALL_TOOL_NAME)
        return { kind: 'end-call-requested', callId: event.item.call_id };
      log.warn({ tool: event.item.name }, 'agent called an unknown tool');
      return undefined;
    case 'error': {
      const { code, message, type } = event.error;
      if (code && QUIET_ERROR_CODES.has(code)) log.debug({ code, message }, 'realtime error');
      else log.warn({ code, type, message }, 'realtime error');
      return undefined;
    }
    case 'session.created':
    case 'input_audio_buffer.speech_stopped':
    case 'response.output_audio.done':
    case 'response.output_audio_transcript.delta':
    case 'conversation.item.truncated':
    case 'conversation.item.deleted':
      return undefined;
    case '#unknown':
      log.debug({ type: event.name }, 'realtime event ignored');
      return undefined;
    case '#invalid':
      log.debug({ reason: event.reason }, 'realtime frame not understood');
      return 'bad';
    default:
      return assertNever(event);
  }
}
