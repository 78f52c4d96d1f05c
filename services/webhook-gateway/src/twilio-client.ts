import { CallEndedError, CallNotFoundError, CallSid, CallStatus } from '@switchboard/contracts';
import twilio from 'twilio';
import type { TwilioConfig } from './config.js';
import { TwilioError } from './errors.js';

/** Status callbacks Twilio sends for an outbound call (SPEC: HTTP → outbound calls). */
export const STATUS_CALLBACK_EVENTS = ['initiated', 'ringing', 'answered', 'completed'];

export interface PlaceCallRequest {
  to: string;
  from: string;
  /** Twilio fetches the call's TwiML here once the callee answers. */
  url: string;
  statusCallback: string;
}

export interface PlacedCall {
  callSid: string;
  /** Twilio's status of the new call, `queued` as a rule. */
  status: CallStatus | undefined;
}

/** Twilio's error for an update of a call that is no longer in progress ("Call is not in-progress"). */
export const TWILIO_CALL_NOT_IN_PROGRESS = 21220;
/** Twilio's error for a resource that does not exist. */
export const TWILIO_NOT_FOUND = 20404;

/** Twilio's Calls resource, as the gateway uses it: the only process holding Twilio credentials. */
export interface TwilioCalls {
  placeCall(request: PlaceCallRequest): Promise<PlacedCall>;
  /** Cancels a call that is still queued or ringing (it never reaches the callee). */
  cancelCall(callSid: string): Promise<void>;
  /**
   * Gives a live call new TwiML (what it runs from now on), answering with Twilio's status of the call.
   * 404 CALL_NOT_FOUND for a call Twilio does not know, 409 CALL_ENDED for one no longer in progress.
   */
  redirectCall(callSid: string, twiml: string): Promise<{ status: string }>;
  /** The call as Twilio has it now: its status, and its duration once over. 404 CALL_NOT_FOUND. */
  fetchCall(callSid: string): Promise<{ status: string; durationSeconds: number | undefined }>;
}

/**
 * TwilioCalls over the twilio library, or undefined when the account SID or auth token is missing.
 * `apiBaseUrl` replaces `https://api.twilio.com` for the Calls resource (a sandbox or a test's fake).
 */
export function twilioCalls(config: TwilioConfig): TwilioCalls | undefined {
  const { accountSid, authToken } = config;
  if (accountSid === undefined || authToken === undefined) return undefined;
  const client = twilio(accountSid, authToken, { timeout: config.timeoutMs, autoRetry: false });
  // The Api domain builds every request URL from its baseUrl at request time; the Calls resource lives there.
  if (config.apiBaseUrl !== undefined) client.api.baseUrl = config.apiBaseUrl;
  return {
    async placeCall(request) {
      let created: { sid: string; status: string };
      try {
        created = await client.calls.create({
          to: request.to,
          from: request.from,
          url: request.url,
          method: 'POST',
          statusCallback: request.statusCallback,
          statusCallbackMethod: 'POST',
          statusCallbackEvent: STATUS_CALLBACK_EVENTS,
        });
      } catch (err) {
        throw twilioFailure(err);
      }
      const sid = CallSid.safeParse(created.sid);
      if (!sid.success) {
        throw new TwilioError('Twilio answered with a call SID switchboard cannot read', 502, {});
      }
      const status = CallStatus.safeParse(created.status);
      return { callSid: sid.data, status: status.success ? status.data : undefined };
    },
    async cancelCall(callSid) {
      try {
        await client.calls(callSid).update({ status: 'canceled' });
      } catch (err) {
        throw twilioFailure(err);
      }
    },
    async fetchCall(callSid) {
      try {
        const call = await client.calls(callSid).fetch();
        const duration = Number.parseInt(call.duration ?? '', 10);
        return { status: call.status, durationSeconds: Number.isNaN(duration) ? undefined : duration };
      } catch (err) {
        throw liveCallFailure(callSid, err);
      }
    },
    async redirectCall(callSid, twiml) {
      try {
        const updated = await client.calls(callSid).update({ twiml });
        return { status: updated.status };
      } catch (err) {
        throw liveCallFailure(callSid, err);
      }
    },
  };
}

/** A live call's update refused: the call is unknown, or over; anything else is Twilio's failure. */
function liveCallFailure(callSid: string, err: unknown): Error {
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
