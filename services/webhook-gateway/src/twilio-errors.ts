import { CallEndedError, CallNotFoundError } from '@switchboard/contracts';
import twilio from 'twilio';
import { TwilioError } from './errors.js';

/** Twilio's error for an update of a call that is no longer in progress ("Call is not in-progress"). */
export const TWILIO_CALL_NOT_IN_PROGRESS = 21220;
/** Twilio's error for a resource that does not exist. */
export const TWILIO_NOT_FOUND = 20404;

/** A live call's update refused: the call is unknown, or over; anything else is Twilio's failure. */
export function liveCallFailure(callSid: string, err: unknown): Error {
  if (err instanceof twilio.RestException) {
    if (err.status === 404 || err.code === TWILIO_NOT_FOUND) {
      return new CallNotFoundError(`Twilio has no call ${callSid}`, { callSid, cause: err });
    }
    if (err.code === TWILIO_CALL_NOT_IN_PROGRESS) {
      return new CallEndedError(`call ${callSid} is no longer in progress`, { callSid, cause: err });
    }
  }
  return twilioFailure(err, 'Twilio refused to update the call');
}

/**
 * Twilio's 400-class answers about the request (a bad number, an unverified callee) go back to the client as
 * they are; those about our credentials or account (401, 403, 404) and every 5xx or network failure are 502.
 */
export function clientStatusFor(twilioStatus: number): number {
  if (twilioStatus === 401 || twilioStatus === 403 || twilioStatus === 404) return 502;
  if (twilioStatus >= 400 && twilioStatus < 500) return twilioStatus;
  return 502;
}

export function twilioFailure(err: unknown, refused = 'Twilio refused the call'): TwilioError {
  if (err instanceof twilio.RestException) {
    const details: { twilioStatus: number; twilioCode?: number; moreInfo?: string } = {
      twilioStatus: err.status,
    };
    if (typeof err.code === 'number') details.twilioCode = err.code;
    if (typeof err.moreInfo === 'string') details.moreInfo = err.moreInfo;
    const message = err.message || `Twilio answered ${err.status}`;
    return new TwilioError(`${refused}: ${message}`, clientStatusFor(err.status), details, {
      cause: err,
    });
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new TwilioError(`Twilio could not be reached: ${reason}`, 502, {}, { cause: err });
}
