import {
  AckPolicy,
  type ConsumerConfig,
  type ConsumerMessages,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { changedSettings, decodeJson, whileJetStreamSettles } from '@switchboard/bus';
import {
  CALL_EVENTS_CONSUMER,
  CALL_EVENTS_STREAM,
  CALL_EVENTS_SUBJECTS,
  CallEvent,
  DatabaseUnavailableError,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { ApplyOutcome } from './apply-event.js';

/*
 * Timings for a clustered CALL_EVENTS, where the node leading the consumer can die with events in hand and
 * pull requests waiting (the defaults, 30 s ack wait and 30 s pulls with 15 s heartbeats, stalled the
 * registry 35-37 s after its consumer's leader died). Once JetStream has elected a new leader (nats-server
 * does that by itself, in its raft election time), these bring consumption back within about 2 s.
 */
/**
 * How long the server waits for an ack before delivering again. An ack sent to a leader that just died is
 * lost; the new leader redelivers once this passed. Slow writes (a database outage) keep their events with
 * in-progress acks every `ACK_PROGRESS_MS`, so a short wait costs no duplicate work.
 */
export const ACK_WAIT_MS = 2_000;
/** While an event is being applied, tell the server it is still being worked on this often. */
export const ACK_PROGRESS_MS = 500;
/**
 * Each pull request lives this long and the server sends a heartbeat every `PULL_HEARTBEAT_MS` while it
 * waits: two missed heartbeats (a leader gone) and nats.js checks the consumer and pulls again, instead of
 * waiting on a request nobody holds any more.
 */
export const PULL_EXPIRES_MS = 2_000;
export const PULL_HEARTBEAT_MS = 1_000;
/** JetStream API requests of the consumer (its info, when nats.js checks it after missed heartbeats). */
export const CONSUMER_API_TIMEOUT_MS = 1_000;
/** Events asked for per pull. */
export const PULL_BATCH = 128;
/** Events applied at once; writes to different calls don't wait on each other. */
export const CONSUMER_CONCURRENCY = 16;
/** Deliveries of an event that fails for a reason other than an outage before it is set aside. */
export const POISON_DELIVERIES = 5;
const REDELIVER_FIRST_MS = 250;
const REDELIVER_MAX_MS = 10_000;

export type EventOutcome = ApplyOutcome | 'invalid' | 'retry' | 'poison';

export interface EventConsumerDeps {
  nc: NatsConnection;
  /** Replicas of the durable consumer: the stream's (`JETSTREAM_REPLICAS`), so it survives what the stream does. */
  replicas?: number;
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
    const { nc, log } = this.deps;
    const config = consumerConfig(this.deps.replicas ?? 0);
    // A cluster that is starting or electing may not answer at first: asked again until it does.
    const consumer = await whileJetStreamSettles(
      `consumer ${CALL_EVENTS_CONSUMER}`,
      async () => {
        await ensureConsumer(
          await jetstreamManager(nc, { timeout: CONSUMER_API_TIMEOUT_MS * 5 }),
          config,
          log,
        );
        const js = jetstream(nc, { timeout: CONSUMER_API_TIMEOUT_MS });
        return js.consumers.get(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER);
      },
      log,
    );
    this.messages = await consumer.consume({
      max_messages: PULL_BATCH,
      expires: PULL_EXPIRES_MS,
      idle_heartbeat: PULL_HEARTBEAT_MS,
    });
    void this.watch(this.messages);
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

  /** Logs what nats.js reports about the pulls (a leader lost shows as missed heartbeats, then a re-pull). */
  private async watch(messages: ConsumerMessages): Promise<void> {
    for await (const status of messages.status()) {
      if (status.type === 'heartbeats_missed') {
        this.deps.log.warn({ count: status.count }, 'call events: heartbeats missed, pulling again');
      } else if (status.type === 'consumer_not_found' || status.type === 'stream_not_found') {
        this.deps.log.warn({ status: status.type }, 'call events: consumer not reachable yet');
      }
    }
  }

  private async handle(msg: JsMsg): Promise<void> {
    // Slow writes keep their event: the server would otherwise deliver it again after ACK_WAIT_MS.
    const progress = setInterval(() => msg.working(), ACK_PROGRESS_MS);
    try {
      await this.apply(msg);
    } finally {
      clearInterval(progress);
    }
  }

  private async apply(msg: JsMsg): Promise<void> {
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

/** The registry's durable consumer of every call event, explicitly acknowledged. */
export function consumerConfig(replicas: number): Partial<ConsumerConfig> & { durable_name: string } {
  return {
    durable_name: CALL_EVENTS_CONSUMER,
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: CALL_EVENTS_SUBJECTS,
    ack_wait: ACK_WAIT_MS * 1_000_000,
    max_deliver: -1,
    max_ack_pending: 1_000,
    // 0 is "as many as the stream": set explicitly, a stream raised to 3 replicas raises its consumer too.
    num_replicas: replicas,
  };
}

/** Creates the consumer, or updates an existing one whose settings differ (a new ack wait, more replicas). */
async function ensureConsumer(
  jsm: JetStreamManager,
  config: Partial<ConsumerConfig> & { durable_name: string },
  log: Logger,
): Promise<void> {
  const existing = await jsm.consumers.info(CALL_EVENTS_STREAM, config.durable_name).catch((err: unknown) => {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) return undefined;
    throw err;
  });
  if (!existing) {
    await jsm.consumers.add(CALL_EVENTS_STREAM, config);
    return;
  }
  const changed = changedSettings<ConsumerConfig>(existing.config, config);
  if (changed.length === 0) return;
  log.info({ consumer: config.durable_name, changed }, 'call events consumer settings updated');
  const { ack_wait, max_ack_pending, max_deliver, num_replicas } = config;
  await jsm.consumers.update(CALL_EVENTS_STREAM, config.durable_name, {
    ack_wait,
    max_ack_pending,
    max_deliver,
    num_replicas,
  } as Partial<ConsumerConfig>);
}
