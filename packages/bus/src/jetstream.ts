import {
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamClient,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  CALL_EVENTS_STREAM,
  CALL_EVENTS_SUBJECTS,
  type CallEvent,
  EventsUnavailableError,
  eventSubject,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { backoffPauses, withRetry } from './retry.js';

/** Publishes with the same `Nats-Msg-Id` inside this window are stored once. */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;
export const PUBLISH_ACK_TIMEOUT_MS = 2_000;
/** Pauses between publish attempts: 50 ms, doubling up to 2 s. */
const PUBLISH_PAUSES = backoffPauses(50, 2_000);

/** What a service says of a stream it needs; `ensureStream` adds what every stream of switchboard has. */
export interface StreamSettings {
  name: string;
  subjects: string[];
  /** Limits (CALL_EVENTS: kept for readers) or work queue (a message leaves once acknowledged). */
  retention: RetentionPolicy;
}

/**
 * Creates a stream (file storage, the duplicate window of `DUPLICATE_WINDOW_MS`), or brings an existing one's
 * settings up to date. Safe to run from every replica.
 */
export async function ensureStream(nc: NatsConnection, settings: StreamSettings): Promise<void> {
  const jsm = await jetstreamManager(nc);
  const config = {
    ...settings,
    storage: StorageType.File,
    duplicate_window: DUPLICATE_WINDOW_MS * 1_000_000,
  };
  try {
    await jsm.streams.info(settings.name);
    await jsm.streams.update(settings.name, config);
  } catch (err) {
    if (!isStreamNotFound(err)) throw err;
    await jsm.streams.add(config);
  }
}

/** Creates the CALL_EVENTS stream, or brings an existing one's settings up to date. */
export function ensureCallEventsStream(nc: NatsConnection): Promise<void> {
  return ensureStream(nc, {
    name: CALL_EVENTS_STREAM,
    subjects: [CALL_EVENTS_SUBJECTS],
    retention: RetentionPolicy.Limits,
  });
}

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

/** JetStream's own answer for a stream that does not exist (nats.js throws it as a `StreamNotFoundError`). */
function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
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
