import { CallSid, CallStatus } from '@switchboard/contracts';
import twilio from 'twilio';
import type { TwilioConfig } from './config.js';
import { TwilioError } from './errors.js';
import { liveCallFailure, twilioFailure } from './twilio-errors.js';
import { type TwilioRecordings, twilioRecordings } from './twilio-recordings.js';

/** Status callbacks Twilio sends for an outbound call (SPEC: HTTP → outbound calls). */
export const STATUS_CALLBACK_EVENTS = ['initiated', 'ringing', 'answered', 'completed'];

export interface PlaceCallRequest {
  to: string;
  from: string;
  /** Twilio fetches the call's TwiML here once the callee answers. */
  url: string;
  statusCallback: string;
  /**
   * Asynchronous answering machine detection: `Enable` answers as soon as Twilio can tell, `DetectMessageEnd`
   * after a machine's greeting (and beep); the result goes to `callback`. The call connects at once either way.
   */
  machineDetection?: { mode: 'Enable' | 'DetectMessageEnd'; callback: string };
}

export interface PlacedCall {
  callSid: string;
  /** Twilio's status of the new call, `queued` as a rule. */
  status: CallStatus | undefined;
}

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
  /** Ends a call in progress (Twilio's `Status=completed`); 404 / 409 as for `redirectCall`. */
  hangupCall(callSid: string): Promise<void>;
  /** Twilio's Recordings resource (twilio-recordings.ts). */
  recordings: TwilioRecordings;
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
          ...(request.machineDetection === undefined
            ? {}
            : {
                machineDetection: request.machineDetection.mode,
                asyncAmd: 'true',
                asyncAmdStatusCallback: request.machineDetection.callback,
                asyncAmdStatusCallbackMethod: 'POST',
              }),
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
    async hangupCall(callSid) {
      try {
        await client.calls(callSid).update({ status: 'completed' });
      } catch (err) {
        throw liveCallFailure(callSid, err);
      }
    },
    recordings: twilioRecordings(client, { ...config, accountSid, authToken }),
  };
}

export {
  clientStatusFor,
  liveCallFailure,
  TWILIO_CALL_NOT_IN_PROGRESS,
  TWILIO_NOT_FOUND,
  twilioFailure,
} from './twilio-errors.js';
