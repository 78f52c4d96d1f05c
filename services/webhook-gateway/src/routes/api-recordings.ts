import { pipeline } from 'node:stream/promises';
import type { EventSink } from '@switchboard/bus';
import { CallSid, RecordingNotFoundError } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { type Request, Router } from 'express';
import { z } from 'zod';
import { TwilioError } from '../errors.js';
import type { GatewayRegistry } from '../registry.js';
import { RECORDING_FORMATS, type TwilioRecordings } from '../twilio-recordings.js';
import { parseInput } from '../validation.js';

export interface ApiRecordingsDeps {
  registry: GatewayRegistry;
  /** Undefined without Twilio credentials: 503. */
  recordings: TwilioRecordings | undefined;
  events: EventSink;
  registryTimeoutMs: number;
  publishDeadlineMs: number;
  log: Logger;
}

const MediaQuery = z.strictObject({ format: z.enum(RECORDING_FORMATS).optional() });

/**
 * `GET /api/calls/:callSid/recording` (`?format=wav|mp3`, WAV by default: both channels) streams the call's
 * recording from Twilio to the client as it arrives, never held whole; `DELETE` deletes it at Twilio, then
 * in the registry (a `recording` event `deleted`, applied like every event), 204. 404 RECORDING_NOT_FOUND
 * when the call has none (not recorded, not ready yet, or deleted).
 */
export function apiRecordingsRouter(deps: ApiRecordingsDeps): Router {
  const router = Router();

  const recordingOf = async (req: Request) => {
    const callSid = parseInput(CallSid, req.params.callSid, 'callSid');
    const call = await deps.registry.callBySid({ callSid }, { timeoutMs: deps.registryTimeoutMs });
    if (call.recording === null)
      throw new RecordingNotFoundError(`call ${callSid} has no recording`, { callSid });
    if (deps.recordings === undefined) {
      throw new TwilioError('recordings need Twilio: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN', 503, {});
    }
    return { callSid, sid: call.recording.sid, recordings: deps.recordings };
  };

  router.get('/calls/:callSid/recording', async (req, res) => {
    const { format = 'wav' } = parseInput(MediaQuery, req.query, 'query');
    const { callSid, sid, recordings } = await recordingOf(req);
    const media = await recordings.media(sid, format);
    res.status(200).type(media.contentType);
    if (media.contentLength !== undefined) res.set('content-length', media.contentLength);
    res.set('content-disposition', `inline; filename="${sid}.${format}"`);
    res.set('cache-control', 'private, no-store');
    try {
      await pipeline(media.body, res);
    } catch (err) {
      // The client went away, or Twilio's stream broke after the headers: the connection is all that is left.
      deps.log.warn({ err, callSid, recordingSid: sid }, 'recording stream ended early');
      res.destroy();
    }
  });

  router.delete('/calls/:callSid/recording', async (req, res) => {
    const { callSid, sid, recordings } = await recordingOf(req);
    const existed = await recordings.delete(sid);
    await deps.events.publish(
      { kind: 'recording', callSid, at: new Date().toISOString(), recordingSid: sid, status: 'deleted' },
      { msgId: `recording.${sid}.deleted`, deadlineMs: deps.publishDeadlineMs },
    );
    deps.log.info({ callSid, recordingSid: sid, existed }, 'recording deleted');
    res.status(204).end();
  });

  return router;
}
