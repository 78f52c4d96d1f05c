import type { EventSink } from '@switchboard/bus';
import { EventsUnavailableError, InvalidRequestError, SwitchboardError } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { RequestHandler } from 'express';
import type { GatewayMetrics } from '../metrics.js';
import { batchRefFromQuery } from '../outbound.js';
import { StatusCallbackParams, statusEventFromCallback, statusMessageId } from '../twilio-params.js';
import { fieldIssues } from '../validation.js';

export interface StatusRouteDeps {
  events: EventSink;
  /** Give up and answer 503 (Twilio retries) when JetStream has not stored the event by then. */
  publishDeadlineMs: number;
  metrics: GatewayMetrics;
  log: Logger;
}

/**
 * `POST /twilio/status` (signature already checked): stores the callback as a `status` event in JetStream,
 * then 204. Never acknowledges what was not stored: 503 instead, so Twilio's retry can deliver it again, and
 * the message id taken from the callback makes that retry a duplicate JetStream drops.
 */
export function twilioStatusHandler({
  events,
  publishDeadlineMs,
  metrics,
  log,
}: StatusRouteDeps): RequestHandler {
  return async (req, res) => {
    const params = StatusCallbackParams.safeParse(req.body ?? {});
    if (!params.success) {
      throw new InvalidRequestError('not a call status callback', { details: fieldIssues(params.error) });
    }
    const batch = batchRefFromQuery(req.query);
    const event = { ...statusEventFromCallback(params.data, new Date()), ...(batch ? { batch } : {}) };
    const msgId = statusMessageId(params.data);
    try {
      await events.publish(event, { msgId, deadlineMs: publishDeadlineMs });
    } catch (err) {
      metrics.eventsPublished.inc({ kind: 'status', outcome: 'failed' });
      log.error({ err, callSid: event.callSid, msgId }, 'status event not stored, asking Twilio to retry');
      // Whatever went wrong, the answer is a 503: Twilio retries those, and the msgId makes a retry harmless.
      throw err instanceof SwitchboardError && err.status === 503
        ? err
        : new EventsUnavailableError(`event ${msgId} was not stored`, { cause: err, callSid: event.callSid });
    }
    metrics.eventsPublished.inc({ kind: 'status', outcome: 'stored' });
    log.debug({ callSid: event.callSid, status: event.status, msgId }, 'status event stored');
    res.status(204).end();
  };
}
