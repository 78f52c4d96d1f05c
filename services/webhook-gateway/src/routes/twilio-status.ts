import { InvalidRequestError } from '@switchboard/contracts';
import type { RequestHandler } from 'express';
import { batchRefFromQuery } from '../outbound.js';
import { type StoreEventDeps, storeEvent } from '../store-event.js';
import { StatusCallbackParams, statusEventFromCallback, statusMessageId } from '../twilio-params.js';
import { fieldIssues } from '../validation.js';

export type StatusRouteDeps = StoreEventDeps;

/**
 * `POST /twilio/status` (signature already checked): stores the callback as a `status` event in JetStream,
 * then 204. Never acknowledges what was not stored: 503 instead, so Twilio's retry can deliver it again, and
 * the message id taken from the callback makes that retry a duplicate JetStream drops.
 */
export function twilioStatusHandler(deps: StatusRouteDeps): RequestHandler {
  return async (req, res) => {
    const params = StatusCallbackParams.safeParse(req.body ?? {});
    if (!params.success) {
      throw new InvalidRequestError('not a call status callback', { details: fieldIssues(params.error) });
    }
    const batch = batchRefFromQuery(req.query);
    const event = { ...statusEventFromCallback(params.data, new Date()), ...(batch ? { batch } : {}) };
    const msgId = statusMessageId(params.data);
    await storeEvent(deps, event, msgId);
    deps.log.debug({ callSid: event.callSid, status: event.status, msgId }, 'status event stored');
    res.status(204).end();
  };
}
