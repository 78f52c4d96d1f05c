import { Readable } from 'node:stream';
import { RecordingNotFoundError } from '@switchboard/contracts';
import twilio from 'twilio';
import type { TwilioConfig } from './config.js';
import { TwilioError } from './errors.js';
import { liveCallFailure, TWILIO_NOT_FOUND, twilioFailure } from './twilio-errors.js';

/** Twilio's API host; TWILIO_API_BASE_URL replaces it (sandboxes, tests). */
export const TWILIO_API_BASE_URL = 'https://api.twilio.com';
/** The recording status callbacks the gateway asks for. */
export const RECORDING_STATUS_CALLBACK_EVENTS = ['in-progress', 'completed', 'absent'];
export const RECORDING_FORMATS = ['wav', 'mp3'] as const;
export type RecordingFormat = (typeof RECORDING_FORMATS)[number];

/** A recording's audio as Twilio serves it, not read yet: the gateway streams it on. */
export interface RecordingMedia {
  contentType: string;
  /** Twilio's Content-Length, when it sent one. */
  contentLength: string | undefined;
  body: Readable;
}

/** Twilio's Recordings resource, as the gateway uses it. */
export interface TwilioRecordings {
  /**
   * Starts a dual-channel recording of a call in progress, its status callbacks to `statusCallback`.
   * 409 CALL_ENDED while Twilio says the call is not in progress (Twilio's 21220), 404 CALL_NOT_FOUND for a
   * call Twilio does not know, 502 TWILIO_ERROR otherwise.
   */
  start(callSid: string, statusCallback: string): Promise<{ recordingSid: string }>;
  /** The recording's audio, streamed from Twilio with the account's credentials; 404 RECORDING_NOT_FOUND. */
  media(recordingSid: string, format: RecordingFormat): Promise<RecordingMedia>;
  /** Deletes the recording at Twilio; one Twilio no longer has counts as deleted (`false`). */
  delete(recordingSid: string): Promise<boolean>;
}

type TwilioClient = ReturnType<typeof twilio>;

export function twilioRecordings(
  client: TwilioClient,
  config: TwilioConfig & { accountSid: string; authToken: string },
): TwilioRecordings {
  const base = config.apiBaseUrl ?? TWILIO_API_BASE_URL;
  const authorization = `Basic ${Buffer.from(`${config.accountSid}:${config.authToken}`).toString('base64')}`;
  return {
    async start(callSid, statusCallback) {
      try {
        const created = await client.calls(callSid).recordings.create({
          recordingChannels: 'dual',
          recordingStatusCallback: statusCallback,
          recordingStatusCallbackMethod: 'POST',
          recordingStatusCallbackEvent: RECORDING_STATUS_CALLBACK_EVENTS,
        });
        return { recordingSid: created.sid };
      } catch (err) {
        throw liveCallFailure(callSid, err);
      }
    },

    // Not through the twilio library: it reads a reply whole, and a recording can be many megabytes. The URL is
    // built from the SID and the configured API host, never taken from a callback, so the account's
    // credentials only ever go to Twilio. A redirect to Twilio's storage is followed without them (fetch drops
    // Authorization on a cross-origin redirect).
    async media(recordingSid, format) {
      const url = `${base}/2010-04-01/Accounts/${config.accountSid}/Recordings/${recordingSid}.${format}`;
      let res: Response;
      try {
        res = await fetch(url, {
          headers: { authorization },
          signal: AbortSignal.timeout(config.timeoutMs),
        });
      } catch (err) {
        throw twilioFailure(err, 'Twilio did not serve the recording');
      }
      if (res.status === 404) {
        await res.body?.cancel();
        throw new RecordingNotFoundError(`Twilio has no audio for recording ${recordingSid}`);
      }
      if (!res.ok || res.body === null) {
        await res.body?.cancel();
        throw new TwilioError(`Twilio answered ${res.status} for the recording`, 502, {
          twilioStatus: res.status,
        });
      }
      return {
        contentType: res.headers.get('content-type') ?? (format === 'mp3' ? 'audio/mpeg' : 'audio/x-wav'),
        contentLength: res.headers.get('content-length') ?? undefined,
        body: Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>),
      };
    },

    async delete(recordingSid) {
      try {
        return await client.recordings(recordingSid).remove();
      } catch (err) {
        if (err instanceof twilio.RestException && (err.status === 404 || err.code === TWILIO_NOT_FOUND))
          return false;
        throw twilioFailure(err, 'Twilio refused to delete the recording');
      }
    },
  };
}
