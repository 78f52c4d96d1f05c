import { InvalidRequestError } from '@switchboard/contracts';
import type { RequestHandler } from 'express';
import {
  RecordingCallbackParams,
  recordingEventFromCallback,
  recordingMessageId,
} from '../recordings/callback-params.js';
import { type StoreEventDeps, storeEvent } from '../store-event.js';
import { fieldIssues } from '../validation.js';

/** The path of Twilio's recording status callbacks, under PUBLIC_BASE_URL. */
export const RECORDING_CALLBACK_PATH = '/twilio/recording';

/**
 * `POST /twilio/recording` (signature already checked): Twilio's recording status callback becomes a
 * `recording` event in JetStream (the registry stores the recording), then 204; 503 when it could not be
 * stored, so that Twilio's retry delivers it again.
 */
export function twilioRecordingHandler(deps: StoreEventDeps): RequestHandler {
  return async (req, res) => {
    const params = RecordingCallbackParams.safeParse(req.body ?? {});
    if (!params.success) {
      throw new InvalidRequestError('not a recording status callback', {
        details: fieldIssues(params.error),
      });
    }
    const event = recordingEventFromCallback(params.data, new Date());
    await storeEvent(deps, event, recordingMessageId(params.data));
    deps.log.info(
      { callSid: event.callSid, recordingSid: event.recordingSid, status: event.status },
      'recording status stored',
    );
    res.status(204).end();
  };
}
