import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { decodeJson } from '@switchboard/bus';
import {
  CALL_EVENTS_CONSUMER,
  CALL_EVENTS_STREAM,
  CALL_EVENTS_SUBJECTS,
  CallEvent,
  DatabaseUnavailableError,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { ApplyOutcome } from './apply-event.js';

/** How long the server waits for an ack before redelivering: far above a healthy write. */
export const ACK_WAIT_MS = 30_000;
/** Events applied at once; writes to different calls don't wait on each other. */
export const CONSUMER_CONCURRENCY = 16;
/** Deliveries of an event that fails for a reason other than an outage before it is set aside. */
export const POISON_DELIVERIES = 5;
const REDELIVER_FIRST_MS = 250;
const REDELIVER_MAX_MS = 10_000;

export type EventOutcome = ApplyOutcome | 'invalid' | 'retry' | 'poison';

export interface EventConsumerDeps {
  nc: NatsConnection;
  log: Logger;
  apply: (msgId: string, event: CallEvent) => Promise<ApplyOutcome>;
  observe?: (kind: string, outcome: EventOutcome) => void;
}

/** Backoff before a failed event is delivered again, by how often it was delivered already. */
export function redeliveryDelayMs(deliveryCount: number): number {
  return Math.min(REDELIVER_FIRST_MS * 2 ** Math.max(0, deliveryCount - 1), REDELIVER_MAX_MS);
}

/**
 * The registry's durable consumer of CALL_EVENTS. Each event is acknowledged only once it is written, so a
 * registry or database outage only delays events: they wait in the stream and are applied on return.
 */
export class EventConsumer {
  private messages: ConsumerMessages | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private loop: Promise<void> | undefined;

  constructor(private readonly deps: EventConsumerDeps) {}

  async start(): Promise<void> {
    const jsm = await jetstreamManager(this.deps.nc);
    await jsm.consumers.add(CALL_EVENTS_STREAM, {
      durable_name: CALL_EVENTS_CONSUMER,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: CALL_EVENTS_SUBJECTS,
      ack_wait: ACK_WAIT_MS * 1_000_000,
      max_deliver: -1,
      max_ack_pending: 1_000,
    });
    const consumer = await jetstream(this.deps.nc).consumers.get(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER);
    this.messages = await consumer.consume({ max_messages: 128 });
    this.loop = this.run(this.messages);
  }

  /** Stops pulling, lets the events in hand finish (and ack), then returns. */
  async stop(): Promise<void> {
    await this.messages?.close();
    await this.loop;
    await Promise.allSettled(this.inFlight);
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    for await (const msg of messages) {
      const task: Promise<void> = this.handle(msg).finally(() => this.inFlight.delete(task));
      this.inFlight.add(task);
      if (this.inFlight.size >= CONSUMER_CONCURRENCY) await Promise.race(this.inFlight);
    }
  }

  private async handle(msg: JsMsg): Promise<void> {
    const { log, apply, observe } = this.deps;
    const decoded = decodeJson(msg.data);
    const parsed = decoded.ok ? CallEvent.safeParse(decoded.value) : undefined;
    if (!parsed?.success) {
      log.warn({ subject: msg.subject, seq: msg.seq }, 'invalid call event discarded');
      // No reason text: nats-server 2.9 does not recognise `+TERM <reason>` and would leave it pending.
      msg.term();
      observe?.('unknown', 'invalid');
      return;
    }
    const event = parsed.data;
    const msgId = msg.headers?.get('Nats-Msg-Id') || `${CALL_EVENTS_STREAM}:${msg.seq}`;
    try {
      const outcome = await apply(msgId, event);
      msg.ack();
      observe?.(event.kind, outcome);
    } catch (err) {
      const deliveries = msg.info.deliveryCount;
      if (!(err instanceof DatabaseUnavailableError) && deliveries >= POISON_DELIVERIES) {
        log.error({ err, msgId, callSid: event.callSid, deliveries }, 'call event keeps failing, set aside');
        msg.term();
        observe?.(event.kind, 'poison');
        return;
      }
      log.warn(
        { err: { message: (err as Error).message }, msgId, callSid: event.callSid, deliveries },
        'call event not applied, will retry',
      );
      msg.nak(redeliveryDelayMs(deliveries));
      observe?.(event.kind, 'retry');
    }
  }
}
