import { z } from 'zod';
import { CallSid } from './call.js';
import { TWILIO_SUBJECTS } from './subjects.js';

/** What an operator (through the gateway) asks of a live call; `call.control.<callSid>`. */
export const CallControlRequest = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('hangup') }),
  /** `target`: the name of one of the agent's transfer targets, or an E.164 number. */
  z.strictObject({ action: z.literal('transfer'), target: z.string().min(1).max(256) }),
  /** The agent says this now (an operator's instruction or message). */
  z.strictObject({ action: z.literal('say'), text: z.string().min(1).max(2_000) }),
]);
export type CallControlRequest = z.infer<typeof CallControlRequest>;

/** The worker holding the stream took the request (409 `CALL_ENDED` when the call is over). */
export const CallControlReply = z.object({ callSid: CallSid, accepted: z.literal(true) });
export type CallControlReply = z.infer<typeof CallControlReply>;

/** `twilio.call.update`: the live call runs `twiml` next (Twilio's `Calls/<sid>.json` update with `Twiml`). */
export const TwilioCallUpdateRequest = z.object({
  callSid: CallSid,
  twiml: z.string().min(1).max(4_000),
});
export type TwilioCallUpdateRequest = z.infer<typeof TwilioCallUpdateRequest>;

export const TwilioCallUpdateReply = z.object({ callSid: CallSid, status: z.string() });
export type TwilioCallUpdateReply = z.infer<typeof TwilioCallUpdateReply>;

export const TWILIO_ENDPOINTS = {
  callUpdate: {
    subject: TWILIO_SUBJECTS.callUpdate,
    request: TwilioCallUpdateRequest,
    reply: TwilioCallUpdateReply,
  },
} as const;
