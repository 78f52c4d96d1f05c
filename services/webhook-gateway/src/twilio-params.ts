import {
  type CallCreateRequest,
  CallSid,
  CallStatus,
  directionFromTwilio,
  type StatusEvent,
  singleLine,
} from '@switchboard/contracts';
import { z } from 'zod';

/** What `From` becomes when Twilio sends none (a withheld caller id). */
export const ANONYMOUS_CALLER = 'anonymous';

const Party = singleLine(z.string().trim().max(128));
const Digits = z.string().regex(/^\d{1,9}$/);

/** The params of Twilio's voice webhook that the gateway reads; Twilio sends many more. */
export const VoiceWebhookParams = z.object({
  CallSid: CallSid,
  From: Party.optional(),
  To: Party.min(1),
  Direction: z.string().max(32).optional(),
  CallStatus: z.string().max(32).optional(),
});
export type VoiceWebhookParams = z.infer<typeof VoiceWebhookParams>;

/** The params of Twilio's call status callback that the gateway reads. */
export const StatusCallbackParams = z.object({
  CallSid: CallSid,
  CallStatus: CallStatus,
  SequenceNumber: Digits.optional(),
  /** RFC 2822, e.g. `Mon, 16 Aug 2010 03:45:01 +0000`. */
  Timestamp: z.string().max(64).optional(),
  CallDuration: Digits.optional(),
  AnsweredBy: singleLine(z.string().trim().min(1).max(64)).optional(),
});
export type StatusCallbackParams = z.infer<typeof StatusCallbackParams>;

/** `call.create` for the call a voice webhook is about: inbound, or outbound once the callee answered. */
export function callCreateFromVoice(params: VoiceWebhookParams): CallCreateRequest {
  const status = CallStatus.safeParse(params.CallStatus);
  const request: CallCreateRequest = {
    callSid: params.CallSid,
    direction: directionFromTwilio(params.Direction ?? 'inbound'),
    from: params.From || ANONYMOUS_CALLER,
    to: params.To,
  };
  if (status.success) request.status = status.data;
  return request;
}

/** An RFC 2822 (or ISO) time as ISO 8601, or `fallback` when it is missing or unreadable. */
export function isoFromTwilioTime(value: string | undefined, fallback: Date): string {
  if (value !== undefined) {
    const parsed = new Date(value);
    if (!Number.isNaN(parsed.getTime())) return parsed.toISOString();
  }
  return fallback.toISOString();
}

/**
 * The event id of a status callback, the same for each of Twilio's retries of it: the call, the status, and the
 * callback's sequence number (or its timestamp when it has none).
 */
export function statusMessageId(params: StatusCallbackParams): string {
  const parts = ['status', params.CallSid, params.CallStatus];
  if (params.SequenceNumber !== undefined) parts.push(`seq-${Number(params.SequenceNumber)}`);
  else if (params.Timestamp !== undefined)
    parts.push(`ts-${isoFromTwilioTime(params.Timestamp, new Date(0))}`);
  return parts.join('.');
}

export function statusEventFromCallback(params: StatusCallbackParams, now: Date): StatusEvent {
  const event: StatusEvent = {
    kind: 'status',
    callSid: params.CallSid,
    status: params.CallStatus,
    at: isoFromTwilioTime(params.Timestamp, now),
  };
  if (params.SequenceNumber !== undefined) event.sequenceNumber = Number(params.SequenceNumber);
  if (params.CallDuration !== undefined) event.durationSeconds = Number(params.CallDuration);
  if (params.AnsweredBy !== undefined) event.answeredBy = params.AnsweredBy;
  return event;
}
