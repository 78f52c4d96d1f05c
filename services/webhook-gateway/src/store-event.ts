import type { EventSink } from '@switchboard/bus';
import { type CallEvent, EventsUnavailableError, SwitchboardError } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { GatewayMetrics } from './metrics.js';

export interface StoreEventDeps {
  events: EventSink;
  /** Give up (503: Twilio retries the callback) when JetStream has not stored the event by then. */
  publishDeadlineMs: number;
  metrics: GatewayMetrics;
  log: Logger;
}

/**
 * Stores a Twilio callback's event in JetStream before the callback is acknowledged: a failure is a 503, which
 * Twilio retries, and the message id taken from the callback makes that retry a duplicate JetStream drops.
 */
export async function storeEvent(deps: StoreEventDeps, event: CallEvent, msgId: string): Promise<void> {
  try {
    await deps.events.publish(event, { msgId, deadlineMs: deps.publishDeadlineMs });
  } catch (err) {
    deps.metrics.eventsPublished.inc({ kind: event.kind, outcome: 'failed' });
    deps.log.error({ err, callSid: event.callSid, msgId }, 'event not stored, asking Twilio to retry');
    throw err instanceof SwitchboardError && err.status === 503
      ? err
      : new EventsUnavailableError(`event ${msgId} was not stored`, { cause: err, callSid: event.callSid });
  }
  deps.metrics.eventsPublished.inc({ kind: event.kind, outcome: 'stored' });
}
