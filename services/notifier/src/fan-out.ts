import { AckPolicy, DeliverPolicy, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { type DeliveryPublisher, decodeJson, type RegistryClient } from '@switchboard/bus';
import {
  CALL_EVENTS_STREAM,
  CALL_EVENTS_SUBJECTS,
  CallEvent,
  NOTIFIER_EVENTS_CONSUMER,
  SwitchboardError,
  type Transcript,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { AckFloor } from './ack-floor.js';
import { KeyedPull } from './keyed-pull.js';
import { candidateTypes, planDeliveries, typesFor, wants } from './plan.js';
import { RECORDING_NEVER_STATUSES, type RecordingsOver } from './recordings-over.js';
import type { Subscriptions } from './subscriptions.js';

/** Calls whose start and end this replica remembers (the oldest forgotten first). */
const MAX_REMEMBERED_CALLS = 10_000;
/** Events worked on at once by one replica (each mostly waits: for the registry, for its turn). */
export const FAN_OUT_CONCURRENCY = 256;
/** How long an event waits for the registry to have applied it before it goes back to the stream. */
export const REGISTRY_APPLY_WAIT_MS = 5_000;
/** Pauses before an event that could not be fanned out is delivered again: 100 ms doubling to 5 s. */
export function fanOutRetryMs(deliveryCount: number): number {
  return Math.min(100 * 2 ** Math.max(0, deliveryCount - 1), 5_000);
}

export type FanOutOutcome = 'queued' | 'none' | 'retry' | 'invalid';

export interface FanOutDeps {
  nc: NatsConnection;
  jsm: JetStreamManager;
  log: Logger;
  registry: Pick<RegistryClient, 'callBySid' | 'callReport'>;
  registryTimeoutMs: number;
  subscriptions: Subscriptions;
  /** The registry's consumer of CALL_EVENTS: how far it has applied the stream. */
  registryFloor: AckFloor;
  deliveries: Pick<DeliveryPublisher, 'queue'>;
  ackWaitMs: number;
  /** Calls whose recording ended without one, noted here for the deliverer's waiting reports. */
  recordingsOver?: RecordingsOver;
  /** Replicas of its durable consumer (`JETSTREAM_REPLICAS`). */
  replicas: number;
  observe?: (outcome: FanOutOutcome, deliveries: number) => void;
}

/**
 * The notifier's durable consumer of CALL_EVENTS (`notifier`): each call event becomes the deliveries it owes
 * the matching subscriptions, queued in WEBHOOK_DELIVERIES, then the event is acknowledged. Nothing is lost
 * when the notifier dies mid-way: an unacknowledged event is delivered again and its deliveries, keyed by
 * their webhook-id, are stored once.
 *
 * Before the Call is read for an event, the registry must have applied every event up to it: its consumer's
 * acknowledgement floor (it acknowledges only what it wrote) must be at the event's stream sequence. So the
 * Call of `call.status` is the one after that status, and `call.ended`'s transcript holds every segment
 * published before the end.
 *
 * Events of different calls are worked on at once; those of one call, one after the other here. Across
 * replicas, deliveries carry their event's sequence and the deliverer puts them in that order.
 */
export class FanOut {
  private readonly pull: KeyedPull;
  /**
   * Per call, the stream sequence of the event that answered it and of the one that ended it, once this
   * replica saw them do so: `answeredAt` and `endedAt` never change after, so a later event need not ask the
   * registry whether it started or ended the call (a `stream stopped` after the worker's `ended`).
   */
  private readonly milestones = new Map<string, { started?: number; ended?: number }>();

  constructor(private readonly deps: FanOutDeps) {
    this.pull = new KeyedPull({
      nc: deps.nc,
      jsm: deps.jsm,
      stream: CALL_EVENTS_STREAM,
      consumer: {
        durable_name: NOTIFIER_EVENTS_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        // From the first stored event: a subscription only gets what is stored after its creation anyway.
        deliver_policy: DeliverPolicy.All,
        filter_subject: CALL_EVENTS_SUBJECTS,
        ack_wait: deps.ackWaitMs * 1_000_000,
        num_replicas: deps.replicas,
        max_deliver: -1,
        max_ack_pending: 2_000,
      },
      maxMessages: 512,
      concurrency: FAN_OUT_CONCURRENCY,
      // events.call.<callSid>.<kind>: one call's events in order.
      keyOf: (msg) => msg.subject.split('.')[2] ?? '',
      handle: (msg) => this.handle(msg),
      onError: (msg, err) => {
        deps.log.error({ err, seq: msg.seq }, 'event handling failed');
        msg.nak(fanOutRetryMs(msg.info.deliveryCount));
      },
    });
  }

  start(): Promise<void> {
    return this.pull.start();
  }

  stop(): Promise<void> {
    return this.pull.stop();
  }

  private async handle(msg: JsMsg): Promise<void> {
    const { log, observe } = this.deps;
    try {
      const queued = await this.fanOut(msg);
      msg.ack();
      observe?.(queued === undefined ? 'invalid' : queued > 0 ? 'queued' : 'none', queued ?? 0);
    } catch (err) {
      const deliveries = msg.info.deliveryCount;
      const level = deliveries > 3 ? 'warn' : 'debug';
      log[level](
        { err: { message: (err as Error).message }, seq: msg.seq, deliveries },
        'event not fanned out, will retry',
      );
      msg.nak(fanOutRetryMs(deliveries));
      observe?.('retry', 0);
    }
  }

  /** Queues what the event owes; the number queued, or undefined for an event that is not one. */
  private async fanOut(msg: JsMsg): Promise<number | undefined> {
    const { registry, registryTimeoutMs: timeoutMs } = this.deps;
    const decoded = decodeJson(msg.data);
    const parsed = decoded.ok ? CallEvent.safeParse(decoded.value) : undefined;
    if (!parsed?.success) {
      this.deps.log.warn({ subject: msg.subject, seq: msg.seq }, 'invalid call event skipped');
      return undefined;
    }
    const event = parsed.data;
    if (event.kind === 'recording' && RECORDING_NEVER_STATUSES.has(event.status))
      this.deps.recordingsOver?.add(event.callSid);
    const candidates = candidateTypes(event);
    const subscriptions = [...(await this.deps.subscriptions.all()).values()];
    // Cheap first look, before asking anyone: does any subscription want one of these, whatever the agent?
    const storedAt = Math.floor(Number(msg.info.timestampNanos) / 1_000_000);
    const known = this.milestones.get(event.callSid);
    const maybe = candidates.filter(
      (type) =>
        !(type === 'call.started' && known?.started !== undefined && msg.seq > known.started) &&
        !(type === 'call.ended' && known?.ended !== undefined && msg.seq > known.ended) &&
        subscriptions.some((s) => wants({ ...s, agentId: null }, type, '', storedAt)),
    );
    let deliveries: Awaited<ReturnType<typeof planDeliveries>> = [];
    if (maybe.length > 0) {
      if (!(await this.deps.registryFloor.reach(msg.seq, REGISTRY_APPLY_WAIT_MS)))
        throw new Error('the registry has not applied the event yet');
      // An event that may end the call reads the Call and its transcript in one request (`call.report`).
      const read = maybe.includes('call.ended')
        ? registry.callReport({ callSid: event.callSid }, { timeoutMs })
        : registry
            .callBySid({ callSid: event.callSid }, { timeoutMs })
            .then((c) => ({ call: c, transcript: undefined }));
      const found = await read.catch((err: unknown) => {
        if (err instanceof SwitchboardError && err.code === 'CALL_NOT_FOUND') return undefined;
        throw err;
      });
      // Events of a call the registry never registered (it keeps them aside) owe no webhook.
      if (found) {
        const { call } = found;
        const types = typesFor(event, call, maybe);
        if (types.includes('call.started')) this.remember(event.callSid, { started: msg.seq });
        if (types.includes('call.ended')) this.remember(event.callSid, { ended: msg.seq });
        const transcript: Transcript | undefined = found.transcript;
        const eventId = msg.headers?.get('Nats-Msg-Id') || `${CALL_EVENTS_STREAM}:${msg.seq}`;
        deliveries = planDeliveries({
          event,
          eventId,
          seq: msg.seq,
          storedAt,
          call,
          transcript,
          types,
          subscriptions,
        });
      }
    }
    // One after the other: a retried publish must not let a later delivery of the same call pass it.
    for (const delivery of deliveries)
      await this.deps.deliveries.queue(delivery, delivery.deliveryId, this.deps.ackWaitMs / 2);
    return deliveries.length;
  }

  private remember(callSid: string, milestone: { started?: number; ended?: number }): void {
    const known = this.milestones.get(callSid);
    this.milestones.delete(callSid);
    this.milestones.set(callSid, { ...known, ...milestone });
    if (this.milestones.size > MAX_REMEMBERED_CALLS) {
      const oldest = this.milestones.keys().next().value;
      if (oldest !== undefined) this.milestones.delete(oldest);
    }
  }
}
