import { type JetStreamClient, jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { type CallEvent, EventsUnavailableError, eventSubject } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { backoffPauses, withRetry } from './retry.js';

export const PUBLISH_ACK_TIMEOUT_MS = 2_000;
/** Pauses between publish attempts: 50 ms, doubling up to 2 s. */
const PUBLISH_PAUSES = backoffPauses(50, 2_000);

export interface DurablePublishOptions extends PublishOptions {
  log?: Logger | undefined;
  /** Logged with each retry. */
  logFields?: Record<string, unknown>;
}

/**
 * Publishes one message to JetStream, retrying with backoff until the server acknowledges that it is stored
 * (or `deadlineMs` passes: then the last error is thrown). The message id makes a repeat harmless.
 */
export async function publishDurably(
  js: JetStreamClient,
  subject: string,
  payload: string | Uint8Array,
  { msgId, deadlineMs, signal, log, logFields }: DurablePublishOptions,
): Promise<void> {
  await withRetry(
    async (timeoutMs) => {
      await js.publish(subject, payload, { msgID: msgId, timeout: timeoutMs });
    },
    {
      budgetMs: deadlineMs ?? Number.POSITIVE_INFINITY,
      attemptTimeoutMs: PUBLISH_ACK_TIMEOUT_MS,
      pauses: PUBLISH_PAUSES,
      ...(signal ? { signal } : {}),
      onRetry: (err, attempt) =>
        log?.warn({ err, msgId, attempt, ...logFields }, 'publish not acknowledged, retrying'),
    },
  );
}

export interface PublishOptions {
  /** Stable id of this event: a retry (ours or an upstream's) with the same id is stored once. */
  msgId: string;
  /** Give up after this long and throw EventsUnavailableError. Without it, retry until acknowledged. */
  deadlineMs?: number;
  signal?: AbortSignal;
}

/**
 * Where call events go: `EventPublisher` in the services, a test's own where it wants to see or fail them.
 * `publish` resolves once the event is stored and rejects (EventsUnavailableError) only when `deadlineMs`
 * passed or `signal` aborted first.
 */
export interface EventSink {
  publish(event: CallEvent, options: PublishOptions): Promise<void>;
}

/**
 * Publishes call events to JetStream, retrying with backoff until the server acknowledges that the event is
 * stored. Core NATS drops publishes made while disconnected without a word; this never does.
 */
export class EventPublisher implements EventSink {
  private readonly js: JetStreamClient;

  constructor(
    nc: NatsConnection,
    private readonly log?: Logger,
  ) {
    this.js = jetstream(nc);
  }

  async publish(event: CallEvent, { msgId, deadlineMs, signal }: PublishOptions): Promise<void> {
    const subject = eventSubject(event.callSid, event.kind);
    const payload = JSON.stringify(event);
    try {
      await publishDurably(this.js, subject, payload, {
        msgId,
        ...(deadlineMs === undefined ? {} : { deadlineMs }),
        ...(signal ? { signal } : {}),
        log: this.log,
        logFields: { callSid: event.callSid },
      });
    } catch (err) {
      throw new EventsUnavailableError(`event ${msgId} was not stored: ${(err as Error).message}`, {
        cause: err,
        callSid: event.callSid,
      });
    }
  }
}
