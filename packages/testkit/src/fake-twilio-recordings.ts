import { randomBytes } from 'node:crypto';
import type { TwilioWebhooks } from './fake-twilio-webhooks.js';

/** A recording the fake holds, as Twilio's Recordings resource would. */
export interface FakeTwilioRecording {
  sid: string;
  accountSid: string;
  callSid: string;
  /** Twilio's: in-progress, paused, stopped, processing, completed, absent. */
  status: string;
  /** 1 (mono) or 2 (dual). */
  channels: number;
  track: string;
  source: 'StartCallRecordingAPI';
  statusCallback: string | undefined;
  statusCallbackMethod: string | undefined;
  /** Events the callback is sent for; Twilio's default is `completed` alone. */
  statusCallbackEvent: string[];
  startTime: Date;
  durationSeconds: number | undefined;
  /** The audio served at `…/Recordings/{Sid}.wav`, once completed. */
  media: Buffer | undefined;
  errorCode: number | undefined;
  dateCreated: Date;
  dateUpdated: Date;
}

export const API_VERSION = '2010-04-01';

/** `RE` and 32 lowercase hex digits, new each time. */
export function newRecordingSid(): string {
  return `RE${randomBytes(16).toString('hex')}`;
}

/** RFC 2822, as Twilio writes dates in REST replies and callbacks. */
export function rfc2822(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

export function recordingUri(recording: FakeTwilioRecording): string {
  return `/${API_VERSION}/Accounts/${recording.accountSid}/Recordings/${recording.sid}`;
}

/** A Recording resource as Twilio's REST API answers it (twilio-node's RecordingInstance fields). */
export function recordingResource(recording: FakeTwilioRecording): Record<string, unknown> {
  return {
    account_sid: recording.accountSid,
    api_version: API_VERSION,
    call_sid: recording.callSid,
    conference_sid: null,
    date_created: rfc2822(recording.dateCreated),
    date_updated: rfc2822(recording.dateUpdated),
    start_time: rfc2822(recording.startTime),
    duration: recording.durationSeconds === undefined ? '-1' : String(recording.durationSeconds),
    sid: recording.sid,
    price: null,
    price_unit: 'USD',
    status: recording.status,
    channels: recording.channels,
    source: recording.source,
    error_code: recording.errorCode ?? null,
    track: recording.track,
    encryption_details: null,
    uri: `/${API_VERSION}/Accounts/${recording.accountSid}/Calls/${recording.callSid}/Recordings/${recording.sid}.json`,
    media_url: `https://api.twilio.com${recordingUri(recording)}`,
    subresource_uris: {
      add_on_results: `${recordingUri(recording)}/AddOnResults.json`,
      transcriptions: `${recordingUri(recording)}/Transcriptions.json`,
    },
  };
}

/**
 * The params of Twilio's recording status callback (https://www.twilio.com/docs/voice/api/recording#recordingstatuscallback):
 * `RecordingUrl` is the resource's address without an extension, `RecordingDuration` is `-1` until the
 * recording is done, `RecordingStartTime` RFC 2822, `ErrorCode` `0` unless the recording is absent.
 */
export function recordingCallbackParams(recording: FakeTwilioRecording): Record<string, string> {
  return {
    AccountSid: recording.accountSid,
    CallSid: recording.callSid,
    RecordingSid: recording.sid,
    RecordingUrl: `https://api.twilio.com${recordingUri(recording)}`,
    RecordingStatus: recording.status,
    RecordingDuration: recording.durationSeconds === undefined ? '-1' : String(recording.durationSeconds),
    RecordingChannels: String(recording.channels),
    RecordingStartTime: rfc2822(recording.startTime),
    RecordingSource: recording.source,
    RecordingTrack: recording.track,
    ErrorCode: String(recording.errorCode ?? 0),
  };
}

/** Sends the recording's status callback when its events include `event` (as Twilio does, POST). */
export async function sendRecordingCallback(
  webhooks: TwilioWebhooks,
  recording: FakeTwilioRecording,
  event: string,
) {
  const subscribed =
    recording.statusCallbackEvent.length === 0
      ? event === 'completed'
      : recording.statusCallbackEvent.includes(event);
  if (recording.statusCallback === undefined || !subscribed) return undefined;
  return webhooks.send(recording.statusCallback, recordingCallbackParams(recording));
}
