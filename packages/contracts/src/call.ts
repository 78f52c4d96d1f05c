import { z } from 'zod';
import { Agent } from './agent.js';
import { CallEndReason } from './endings.js';
import { singleLine } from './text.js';

/** `CA` followed by 32 lowercase hex digits, as Twilio issues them. */
export const CALL_SID_PATTERN = /^CA[0-9a-f]{32}$/;
export const CallSid = z
  .string()
  .regex(CALL_SID_PATTERN, 'callSid must be CA followed by 32 lowercase hex digits');

export const CALL_STATUSES = [
  'queued',
  'initiated',
  'ringing',
  'in-progress',
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
] as const;
export const CallStatus = z.enum(CALL_STATUSES);
export type CallStatus = z.infer<typeof CallStatus>;

export const TERMINAL_STATUSES: ReadonlySet<CallStatus> = new Set([
  'completed',
  'busy',
  'failed',
  'no-answer',
  'canceled',
]);

/** How far along a call is. Terminal statuses share the top rank: once ended, a call never changes status. */
export function statusRank(status: CallStatus): number {
  switch (status) {
    case 'queued':
      return 0;
    case 'initiated':
      return 1;
    case 'ringing':
      return 2;
    case 'in-progress':
      return 3;
    default:
      return 4;
  }
}

/** Status only moves forward: a late or duplicate callback never moves a call back. */
export function isForwardTransition(from: CallStatus, to: CallStatus): boolean {
  return statusRank(to) > statusRank(from);
}

export const Direction = z.enum(['inbound', 'outbound']);
export type Direction = z.infer<typeof Direction>;

/** Twilio's `Direction` param: `outbound-api` and `outbound-dial` are both outbound. */
export function directionFromTwilio(twilioDirection: string): Direction {
  return twilioDirection.startsWith('outbound') ? 'outbound' : 'inbound';
}

/** A time as ISO 8601 with its offset (`2026-11-27T10:00:00.000Z`): every `…At` and `at` on the wire. */
export const IsoTime = z.iso.datetime({ offset: true });

/** Twilio's `RE` followed by 32 lowercase hex digits. */
export const RECORDING_SID_PATTERN = /^RE[0-9a-f]{32}$/;
export const RecordingSid = z
  .string()
  .regex(RECORDING_SID_PATTERN, 'a recording SID is RE followed by 32 lowercase hex digits');

/** A call's recording, once Twilio has it ready (`completed`): `GET /api/calls/:callSid/recording` serves it. */
export const CallRecording = z.object({
  sid: RecordingSid,
  durationSeconds: z.number().int().nonnegative(),
  /** 2 for a dual-channel recording (the caller on one channel, the agent on the other). */
  channels: z.number().int().min(1).max(2),
});
export type CallRecording = z.infer<typeof CallRecording>;

/**
 * Twilio's `AnsweredBy` (answering machine detection). A value Twilio adds later is kept as it is, not refused.
 */
export const ANSWERED_BY = [
  'human',
  'machine_start',
  'machine_end_beep',
  'machine_end_silence',
  'machine_end_other',
  'fax',
  'unknown',
] as const;
export type KnownAnsweredBy = (typeof ANSWERED_BY)[number];
export const AnsweredBy = singleLine(z.string().min(1).max(64));

/** The AnsweredBy values after which a machine is listening: the agent stops (hangs up, or leaves a message). */
export const MACHINE_ANSWERS: ReadonlySet<string> = new Set([
  'machine_start',
  'machine_end_beep',
  'machine_end_silence',
  'machine_end_other',
  'fax',
]);

export const Call = z.object({
  callSid: CallSid,
  direction: Direction,
  from: z.string(),
  to: z.string(),
  status: CallStatus,
  agent: Agent,
  createdAt: IsoTime,
  updatedAt: IsoTime,
  answeredAt: IsoTime.nullable(),
  endedAt: IsoTime.nullable(),
  durationSeconds: z.number().int().nonnegative().nullable(),
  /**
   * Why the call's media stream last ended (the worker's `ended` event, else the stopped stream's reason);
   * null while no stream has ended. `transferred` while a person has the call.
   */
  endedReason: CallEndReason.nullable(),
  /** The call's recording once Twilio has it ready; null without one (or once deleted). */
  recording: CallRecording.nullable(),
  /** Twilio's AnsweredBy for an outbound call placed with machine detection; null otherwise. */
  answeredBy: AnsweredBy.nullable(),
});
export type Call = z.infer<typeof Call>;

/**
 * Who a transcript segment is from: the two speakers, `tool` for a call of one of the agent's tools, or
 * `event` for what else happened on the call (keypad digits, a transfer, a move to a new session).
 */
export const TranscriptRole = z.enum(['caller', 'agent', 'tool', 'event']);
export type TranscriptRole = z.infer<typeof TranscriptRole>;

/** A call of one of the agent's tools (built-in ones included), on a `tool` segment. */
export const ToolCallRecord = z.object({
  name: z.string().min(1).max(64),
  callId: z.string().min(1).max(128),
  /** The arguments the model gave, parsed (a string when they were not JSON). */
  arguments: z.unknown(),
  status: z.enum(['ok', 'error', 'timeout']),
  /** From the model's call to the result it was given. */
  ms: z.number().int().nonnegative(),
});
export type ToolCallRecord = z.infer<typeof ToolCallRecord>;

export const TranscriptSegment = z.object({
  role: TranscriptRole,
  text: z.string(),
  at: IsoTime,
  /** On `tool` segments only. */
  tool: ToolCallRecord.optional(),
});
export type TranscriptSegment = z.infer<typeof TranscriptSegment>;

export const Transcript = z.object({
  callSid: CallSid,
  segments: z.array(TranscriptSegment),
});
export type Transcript = z.infer<typeof Transcript>;
