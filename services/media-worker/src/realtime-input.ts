import type { Logger } from '@switchboard/logger';
import { assertNever } from './assert-never.js';
import type { ConnectionId, RealtimeInput } from './bridge/types.js';
import type { RealtimeFrame } from './codecs/openai.js';

/** Errors that are expected in a normal call and not worth a warning. */
const QUIET_ERROR_CODES: ReadonlySet<string> = new Set([
  // Server VAD cancels the response itself when the caller barges in; our cancel then finds none running.
  'response_cancel_not_active',
  // The session hit OpenAI's time limit; its socket closes next and the call moves to a new one.
  'session_expired',
]);

/**
 * What a decoded Realtime frame from socket `connection` means for the bridge: an input, or `undefined`
 * for events with nothing to do (logged here when worth it).
 */
export function realtimeInput(
  event: Exclude<RealtimeFrame, { type: '#invalid' }>,
  connection: ConnectionId,
  log: Logger,
): RealtimeInput | undefined {
  switch (event.type) {
    case 'response.output_audio.delta':
      return {
        kind: 'agent-audio',
        connection,
        responseId: event.response_id,
        itemId: event.item_id,
        contentIndex: event.content_index,
        payload: event.payload,
      };
    case 'session.updated':
      return { kind: 'session-ready', connection };
    case 'input_audio_buffer.speech_started':
      return {
        kind: 'speech-started',
        connection,
        itemId: event.item_id,
        audioStartMs: event.audio_start_ms,
      };
    case 'input_audio_buffer.speech_stopped':
      return { kind: 'speech-stopped', connection, itemId: event.item_id, audioEndMs: event.audio_end_ms };
    case 'conversation.item.input_audio_transcription.completed':
      return { kind: 'caller-transcript', connection, itemId: event.item_id, text: event.transcript };
    case 'response.created':
      return { kind: 'response-created', connection, responseId: event.response.id };
    case 'response.done':
      return {
        kind: 'response-done',
        connection,
        responseId: event.response.id,
        status: event.response.status,
      };
    case 'response.output_audio_transcript.done':
      return { kind: 'agent-transcript', connection, itemId: event.item_id, text: event.transcript };
    case 'response.function_call_arguments.done':
      return {
        kind: 'function-call',
        connection,
        responseId: event.response_id,
        callId: event.call_id,
        name: event.name,
        arguments: event.arguments,
      };
    case 'response.output_item.done':
      if (event.item.type !== 'function_call') return undefined;
      return {
        kind: 'function-call',
        connection,
        responseId: event.response_id,
        callId: event.item.call_id,
        name: event.item.name,
        arguments: event.item.arguments,
      };
    case 'error': {
      const { code, message, type } = event.error;
      if (code && QUIET_ERROR_CODES.has(code)) log.debug({ code, message }, 'realtime error');
      else log.warn({ code, type, message }, 'realtime error');
      return undefined;
    }
    case 'session.created':
    case 'response.output_audio.done':
    case 'response.output_audio_transcript.delta':
    case 'conversation.item.truncated':
    case 'conversation.item.deleted':
      return undefined;
    case '#unknown':
      log.debug({ type: event.name }, 'realtime event ignored');
      return undefined;
    default:
      return assertNever(event);
  }
}
