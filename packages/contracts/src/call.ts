import { z } from 'zod';

/** `CA` followed by 32 lowercase hex digits, as Twilio issues them. */
export const CALL_SID_PATTERN = /^CA[0-9a-f]{32}$/;
export const CallSid = z
  .string()
  .regex(CALL_SID_PATTERN, 'callSid must be CA followed by 32 lowercase hex digits');

/** E.164: a plus sign and up to 15 digits, no leading zero. */
export const PhoneNumber = z
  .string()
  .regex(/^\+[1-9]\d{1,14}$/, 'phone numbers must be E.164, like +15551230000');

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

export const DEFAULT_AGENT_ID = 'default';

export const AgentId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'agent ids are letters, digits, - and _');

export const Agent = z.strictObject({
  id: AgentId,
  phoneNumber: PhoneNumber.nullish(),
  instructions: z.string().min(1).max(20_000),
  voice: z.string().min(1).max(64),
  model: z.string().min(1).max(128),
  greeting: z.string().max(2_000).nullish(),
});
export type Agent = z.infer<typeof Agent>;

/** A time as ISO 8601 with its offset (`2026-11-27T10:00:00.000Z`): every `…At` and `at` on the wire. */
export const IsoTime = z.iso.datetime({ offset: true });

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
});
export type Call = z.infer<typeof Call>;

export const TranscriptRole = z.enum(['caller', 'agent']);
export type TranscriptRole = z.infer<typeof TranscriptRole>;

export const TranscriptSegment = z.object({
  role: TranscriptRole,
  text: z.string(),
  at: IsoTime,
});
export type TranscriptSegment = z.infer<typeof TranscriptSegment>;

export const Transcript = z.object({
  callSid: CallSid,
  segments: z.array(TranscriptSegment),
});
export type Transcript = z.infer<typeof Transcript>;
