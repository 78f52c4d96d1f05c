import { randomBytes } from 'node:crypto';
import {
  type ConsumerMessages,
  DeliverPolicy,
  jetstream,
  jetstreamManager,
  type OrderedConsumerOptions,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { CALL_EVENTS_STREAM, CallEvent, eventSubject } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';

/** Messages each pull asks JetStream for: a browser that reads slowly stops the pulls (back-pressure). */
const PULL_BATCH = 256;

export interface FeedOptions {
  /** Only this call's events. */
  callSid?: string | undefined;
  /** Resume after this stream sequence (`Last-Event-ID`); without it, only events stored from now on. */
  afterSeq?: number | undefined;
}

export interface FeedEvent {
  /** The event's JetStream sequence in CALL_EVENTS: the SSE `id`. */
  seq: number;
  event: CallEvent;
}

export interface CallEventFeed {
  /** The sequence the feed starts after: the last stored event when it began, or `afterSeq`. */
  readonly startAfter: number;
  readonly events: AsyncIterable<FeedEvent>;
  /** Stops pulling and deletes the consumer. */
  close(): Promise<void>;
}

/**
 * The call events of CALL_EVENTS in stream order, from an ordered consumer of the feed's own (in memory,
 * no acks, deleted on close or after nats.js' inactivity threshold), resuming exactly after a sequence.
 * Events that do not parse as a CallEvent are skipped (logged at debug); their sequence still moves on.
 */
export async function openCallEventFeed(
  nc: NatsConnection,
  log: Logger,
  options: FeedOptions,
): Promise<CallEventFeed> {
  let startAfter = options.afterSeq;
  if (startAfter === undefined) {
    const jsm = await jetstreamManager(nc, { checkAPI: false });
    startAfter = (await jsm.streams.info(CALL_EVENTS_STREAM)).state.last_seq;
  }
  const consumerOptions: Partial<OrderedConsumerOptions> = {
    // The consumer's name: `console-<random>_<n>`, never the name of a durable consumer.
    name_prefix: `console-${randomBytes(8).toString('hex')}`,
    deliver_policy: DeliverPolicy.StartSequence,
    opt_start_seq: startAfter + 1,
    ...(options.callSid === undefined ? {} : { filter_subjects: eventSubject(options.callSid, '*') }),
  };
  const consumer = await jetstream(nc, { checkAPI: false }).consumers.get(
    CALL_EVENTS_STREAM,
    consumerOptions,
  );
  const messages: ConsumerMessages = await consumer.consume({ max_messages: PULL_BATCH });

  async function* events(): AsyncIterable<FeedEvent> {
    for await (const msg of messages) {
      let parsed: ReturnType<typeof CallEvent.safeParse>;
      try {
        parsed = CallEvent.safeParse(msg.json());
      } catch {
        parsed = CallEvent.safeParse(undefined);
      }
      if (!parsed.success) {
        log.debug({ seq: msg.seq, subject: msg.subject }, 'call event skipped: not a CallEvent');
        continue;
      }
      yield { seq: msg.seq, event: parsed.data };
    }
  }

  let closing: Promise<void> | undefined;
  return {
    startAfter,
    events: events(),
    close: () => {
      closing ??= (async () => {
        messages.stop();
        await consumer.delete().catch(() => false);
      })();
      return closing;
    },
  };
}
