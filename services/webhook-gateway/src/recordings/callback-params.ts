import {
  AnsweredBy,
  type AnsweredByEvent,
  CallSid,
  type RecordingEvent,
  RecordingSid,
  singleLine,
} from '@switchboard/contracts';
import { z } from 'zod';

const Digits = z.string().regex(/^\d{1,9}$/);

/**
 * The params of Twilio's recording status callback the gateway reads
 * (https://www.twilio.com/docs/voice/api/recording#recordingstatuscallback). `RecordingDuration` is `-1`
 * while the recording runs; `ErrorCode` is `0` unless it is absent or failed.
 */
export const RecordingCallbackParams = z.object({
  CallSid: CallSid,
  RecordingSid: RecordingSid,
  RecordingStatus: z.enum(['in-progress', 'completed', 'absent', 'failed']),
  RecordingUrl: singleLine(z.url({ protocol: /^https?$/ }).max(2_048)).optional(),
  RecordingDuration: z
    .string()
    .regex(/^-?\d{1,9}$/)
    .optional(),
  RecordingChannels: z.enum(['1', '2']).optional(),
  RecordingStartTime: z.string().max(64).optional(),
  RecordingSource: singleLine(z.string().max(64)).optional(),
  ErrorCode: z
    .string()
    .regex(/^\d{1,8}$/)
    .optional(),
});
export type RecordingCallbackParams = z.infer<typeof RecordingCallbackParams>;

export function recordingEventFromCallback(params: RecordingCallbackParams, now: Date): RecordingEvent {
  const event: RecordingEvent = {
    kind: 'recording',
    callSid: params.CallSid,
    at: now.toISOString(),
    recordingSid: params.RecordingSid,
    status: params.RecordingStatus,
  };
  const duration = params.RecordingDuration === undefined ? -1 : Number(params.RecordingDuration);
  if (duration >= 0) event.durationSeconds = duration;
  if (params.RecordingChannels !== undefined) event.channels = Number(params.RecordingChannels);
  if (params.RecordingUrl !== undefined) event.url = params.RecordingUrl;
  // RFC 2822; one that does not read is left out rather than guessed.
  const started = new Date(params.RecordingStartTime ?? Number.NaN);
  if (!Number.isNaN(started.getTime())) event.startedAt = started.toISOString();
  if (params.RecordingSource !== undefined) event.source = params.RecordingSource;
  if (params.ErrorCode !== undefined && params.ErrorCode !== '0') event.errorCode = params.ErrorCode;
  return event;
}

/** One event per recording and status, whichever of Twilio's retries delivers it. */
export function recordingMessageId(params: RecordingCallbackParams): string {
  return `recording.${params.RecordingSid}.${params.RecordingStatus}`;
}

/** Twilio's asynchronous AMD callback (https://www.twilio.com/docs/voice/answering-machine-detection). */
export const AmdCallbackParams = z.object({
  CallSid: CallSid,
  AnsweredBy: AnsweredBy,
  /** Milliseconds. */
  MachineDetectionDuration: Digits.optional(),
});
export type AmdCallbackParams = z.infer<typeof AmdCallbackParams>;

export function answeredByEventFromCallback(params: AmdCallbackParams, now: Date): AnsweredByEvent {
  const event: AnsweredByEvent = {
    kind: 'answered-by',
    callSid: params.CallSid,
    at: now.toISOString(),
    answeredBy: params.AnsweredBy,
  };
  if (params.MachineDetectionDuration !== undefined)
    event.detectionMs = Number(params.MachineDetectionDuration);
  return event;
}

/** Twilio sends one AMD result per call. */
export function answeredByMessageId(params: AmdCallbackParams): string {
  return `answered-by.${params.CallSid}`;
}
