import { z } from 'zod';
import { PhoneNumber, TransferDestination, TransferTargetName } from './agent.js';
import { CallSid } from './call.js';
import { TWILIO_SUBJECTS } from './subjects.js';
import { prose, singleLine } from './text.js';

/** The longest `voicemailMessage` (about a minute of speech). */
export const VOICEMAIL_MESSAGE_MAX_LENGTH = 1_000;
/** What the agent leaves on an answering machine (`POST /api/calls` `voicemailMessage`). */
export const VoicemailMessage = prose(
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(VOICEMAIL_MESSAGE_MAX_LENGTH, `must be at most ${VOICEMAIL_MESSAGE_MAX_LENGTH} characters`),
);

/** What an operator (through the gateway) asks of a live call; `call.control.<callSid>`. */
export const CallControlRequest = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('hangup') }),
  /** `target`: the name of one of the agent's transfer targets, or an E.164 number. */
  z.strictObject({
    action: z.literal('transfer'),
    target: z.union([PhoneNumber, TransferTargetName], {
      message: "target is one of the agent's transfer target names or an E.164 number",
    }),
  }),
  /** The agent says this now (an operator's instruction or message). */
  z.strictObject({ action: z.literal('say'), text: prose(z.string().trim().min(1).max(2_000)) }),
  /**
   * A machine answered and its greeting is over (Twilio's asynchronous AMD): the agent stops, says `text`
   * (the call's `voicemailMessage`) as the message, and hangs up. Sent by the gateway, not an operator route.
   */
  z.strictObject({ action: z.literal('voicemail'), text: VoicemailMessage }),
]);
export type CallControlRequest = z.infer<typeof CallControlRequest>;

/** The worker holding the stream took the request (409 `CALL_ENDED` when the call is over). */
export const CallControlReply = z.object({ callSid: CallSid, accepted: z.literal(true) });
export type CallControlReply = z.infer<typeof CallControlReply>;

/**
 * `twilio.call.transfer`: the gateway redirects the live call to `<Dial>` `to` (the caller's number shown,
 * Twilio's default), with its `action` at `PUBLIC_BASE_URL/twilio/dial-result`; the media stream stops.
 */
export const TwilioCallTransferRequest = z.object({
  callSid: CallSid,
  to: TransferDestination,
  /** The transfer target's name (for the events), or the number when it was given as one. */
  target: singleLine(z.string().min(1).max(256)),
  /** How long the other side may ring. */
  timeoutSeconds: z.number().int().min(5).max(120).optional(),
});
export type TwilioCallTransferRequest = z.infer<typeof TwilioCallTransferRequest>;

export const TwilioCallReply = z.object({ callSid: CallSid, status: z.string() });
export type TwilioCallReply = z.infer<typeof TwilioCallReply>;

/** The gateway's `twilio-rest` service, for the services that may not hold Twilio credentials. */
export const TWILIO_ENDPOINTS = {
  callTransfer: {
    subject: TWILIO_SUBJECTS.callTransfer,
    request: TwilioCallTransferRequest,
    reply: TwilioCallReply,
  },
} as const;
