import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AckPolicy,
  type Consumer,
  DeliverPolicy,
  type JsMsg,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DUPLICATE_WINDOW_MS, decodeJson, type EventSink, ensureStream, withRetry } from '@switchboard/bus';
import {
  type BatchAttemptRef,
  BatchWorkMessage,
  CALL_BATCH_WORK_CONSUMER,
  CALL_BATCH_WORK_STREAM,
  CALL_BATCH_WORK_SUBJECTS,
  CallStatus,
  SwitchboardError,
  TERMINAL_STATUSES,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { TwilioError } from '../errors.js';
import { type OutboundDeps, placeOutboundCall } from '../outbound.js';
import type { GatewayRegistry } from '../registry.js';

/** How long one pull waits for a message before asking again. */
const PULL_EXPIRES_MS = 5_000;
/** A pacing wait shorter than this is waited here, holding the message; a longer one is a delayed redelivery. */
const HOLD_WAIT_MAX_MS = 1_000;
/** A message is held through pacing waits this long at most, then redelivered, so other batches get a turn. */
const HOLD_TOTAL_MAX_MS = 2_000;
/** After a dial, the message comes back this much later to learn the call's outcome. */
const AFTER_DIAL_MS = 2_000;
/** A claim is asked this many times (each within REGISTRY_TIMEOUT_MS) before the message is handed back. */
const CLAIM_ATTEMPTS = 3;
/** A claim the registry could not answer is asked again this much later. */
const CLAIM_FAILED_REDELIVER_MS = 1_000;
/** After a final status learnt from Twilio is stored, the message comes back this much later to see it settled. */
const RECONCILED_REDELIVER_MS = 1_000;
/** Setting up the stream and consumer is tried again this often while NATS or JetStream is away. */
const SETUP_RETRY_MS = 1_000;
/** Messages in the hands of the gateways (held or waiting for a delayed redelivery) at most. */
const MAX_ACK_PENDING = 1_000_000;

export interface BatchDispatchSettings {
  /** Replicas of the work stream and its consumer (`JETSTREAM_REPLICAS`). */
  replicas: number;
  /** Work messages one gateway handles at once. */
  concurrency: number;
  /** How long a message may go unacknowledged before JetStream gives it to another replica. */
  ackWaitMs: number;
  /** A grant left dialling longer than this by a gateway that went away is given again. */
  dialLeaseMs: number;
  /** A call live this long without its final status is looked up at Twilio (a final callback lost). */
  reconcileAfterMs: number;
}

export interface BatchDispatcherDeps {
  nc: NatsConnection;
  registry: Pick<GatewayRegistry, 'batchClaim' | 'batchAttemptFailed' | 'callCreate'>;
  /** Places each call the way `POST /api/calls` does. */
  outbound: Omit<OutboundDeps, 'registry'>;
  settings: BatchDispatchSettings;
  /** Where a final status learnt from Twilio's REST API goes, as a status callback's would. */
  events: EventSink;
  registryTimeoutMs: number;
  log: Logger;
  /** Each answer of the registry: `dial`, `done` or `wait:<reason>`. */
  observeClaim?: (answer: string) => void;
}

/** The work-queue stream of batch calls, and the one durable consumer every gateway replica pulls from. */
export async function ensureBatchWork(nc: NatsConnection, ackWaitMs: number, replicas = 1): Promise<void> {
  await ensureStream(
    nc,
    {
      name: CALL_BATCH_WORK_STREAM,
      subjects: [CALL_BATCH_WORK_SUBJECTS],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
      duplicate_window: DUPLICATE_WINDOW_MS * 1_000_000,
    },
    { replicas },
  );
  const jsm = await jetstreamManager(nc);
  const config = {
    num_replicas: replicas,
    ack_policy: AckPolicy.Explicit,
    ack_wait: ackWaitMs * 1_000_000,
    max_deliver: -1,
    max_ack_pending: MAX_ACK_PENDING,
  };
  try {
    await jsm.consumers.info(CALL_BATCH_WORK_STREAM, CALL_BATCH_WORK_CONSUMER);
    await jsm.consumers.update(CALL_BATCH_WORK_STREAM, CALL_BATCH_WORK_CONSUMER, config);
  } catch {
    await jsm.consumers
      .add(CALL_BATCH_WORK_STREAM, {
        ...config,
        durable_name: CALL_BATCH_WORK_CONSUMER,
        deliver_policy: DeliverPolicy.All,
        filter_subject: CALL_BATCH_WORK_SUBJECTS,
      })
      .catch(async (err: unknown) => {
        // Another replica made it meanwhile.
        await jsm.consumers.info(CALL_BATCH_WORK_STREAM, CALL_BATCH_WORK_CONSUMER).catch(() => {
          throw err;
        });
      });
  }
}

/**
 * Dispatches batch calls: `concurrency` loops each pull one work message, ask the registry what to do with
 * it (`batch.claim`, which holds the pacing for every replica), and dial, wait or finish. A message is
 * acknowledged only when its call has its final outcome, so a gateway that dies loses nothing: JetStream
 * hands its messages to another replica, and the registry knows which calls were dialled.
 */
export class BatchDispatcher {
  private stopped = false;
  private setup: Promise<void> | undefined;
  /** Messages being handled now: a stop waits for them (not for pulls still waiting for a message). */
  private readonly handling = new Set<Promise<void>>();
  private readonly stopSignal = new AbortController();

  private constructor(private readonly deps: BatchDispatcherDeps) {}

  /**
   * Starts dispatching once the stream and its consumer are in place: made here, tried again every
   * `SETUP_RETRY_MS` while NATS or JetStream is away, so a gateway starts (and serves webhooks) without them.
   */
  static start(deps: BatchDispatcherDeps): BatchDispatcher {
    const dispatcher = new BatchDispatcher(deps);
    dispatcher.setup = dispatcher.setUp();
    return dispatcher;
  }

  private async setUp(): Promise<void> {
    const { nc, settings, log } = this.deps;
    let consumer: Consumer | undefined;
    while (!this.stopped && consumer === undefined) {
      try {
        await ensureBatchWork(nc, settings.ackWaitMs, settings.replicas);
        consumer = await jetstream(nc).consumers.get(CALL_BATCH_WORK_STREAM, CALL_BATCH_WORK_CONSUMER);
      } catch (err) {
        log.warn({ err: { message: (err as Error).message } }, 'batch work queue not ready, trying again');
        await this.pause(SETUP_RETRY_MS);
      }
    }
    if (consumer === undefined) return;
    for (let i = 0; i < settings.concurrency; i++) void this.run(consumer);
  }

  private pause(ms: number): Promise<void> {
    return sleep(ms, undefined, { signal: this.stopSignal.signal }).catch(() => {});
  }

  /**
   * Stops pulling; the messages in hand finish their step (a dial in flight is recorded). A pull still
   * waiting hands back what it gets at once (`nak`), for another replica.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.stopSignal.abort();
    await this.setup;
    while (this.handling.size > 0) await Promise.allSettled([...this.handling]);
  }

  private async run(consumer: Consumer): Promise<void> {
    while (!this.stopped) {
      let msg: JsMsg | null;
      try {
        msg = await consumer.next({ expires: PULL_EXPIRES_MS });
      } catch (err) {
        if (this.stopped) return;
        this.deps.log.warn({ err: { message: (err as Error).message } }, 'batch work pull failed');
        await this.pause(CLAIM_FAILED_REDELIVER_MS);
        continue;
      }
      if (msg === null) continue;
      if (this.stopped) {
        msg.nak();
        return;
      }
      const held = msg;
      const task = this.handle(held)
        .catch((err: unknown) => {
          this.deps.log.error({ err }, 'batch work message failed');
          held.nak(CLAIM_FAILED_REDELIVER_MS);
        })
        .finally(() => this.handling.delete(task));
      this.handling.add(task);
      await task;
    }
  }

  private async handle(msg: JsMsg): Promise<void> {
    const { registry, settings, log } = this.deps;
    const decoded = decodeJson(msg.data);
    const work = decoded.ok ? BatchWorkMessage.safeParse(decoded.value) : undefined;
    if (!work?.success) {
      log.warn({ subject: msg.subject, seq: msg.seq }, 'invalid batch work message discarded');
      msg.term();
      return;
    }
    const { batchId, index } = work.data;
    // This handling's name: a claim whose answer was lost is asked again under it and granted again (it
    // never dialled), rather than waiting out the lease.
    const holder = randomUUID();
    let held = 0;
    for (;;) {
      let reply: Awaited<ReturnType<typeof registry.batchClaim>>;
      try {
        reply = await withRetry(
          (timeoutMs) =>
            registry.batchClaim({ batchId, index, leaseMs: settings.dialLeaseMs, holder }, { timeoutMs }),
          {
            budgetMs: this.deps.registryTimeoutMs * CLAIM_ATTEMPTS,
            attemptTimeoutMs: this.deps.registryTimeoutMs,
          },
        );
      } catch (err) {
        if (err instanceof SwitchboardError && err.code === 'BATCH_NOT_FOUND') {
          log.warn({ batchId, index }, 'work message of an unknown batch call discarded');
          msg.term();
          return;
        }
        log.warn({ err: { message: (err as Error).message }, batchId, index }, 'batch claim failed, later');
        msg.nak(CLAIM_FAILED_REDELIVER_MS);
        return;
      }
      this.deps.observeClaim?.(reply.action === 'wait' ? `wait:${reply.reason}` : reply.action);
      switch (reply.action) {
        case 'done':
          msg.ack();
          return;
        case 'wait': {
          const { live } = reply;
          if (live && live.ageMs >= settings.reconcileAfterMs) {
            const ref = { batchId, index, attempt: live.attempt };
            if (await this.reconcile(ref, live.callSid)) {
              msg.nak(RECONCILED_REDELIVER_MS);
              return;
            }
          }
          const pacing = reply.reason === 'max-per-second' || reply.reason === 'max-concurrent';
          if (pacing && reply.delayMs <= HOLD_WAIT_MAX_MS && held < HOLD_TOTAL_MAX_MS && !this.stopped) {
            msg.working();
            await sleep(reply.delayMs);
            held += reply.delayMs;
            continue;
          }
          msg.nak(reply.delayMs);
          return;
        }
        case 'dial':
          msg.working();
          await this.dial({ batchId, index, attempt: reply.attempt }, reply);
          msg.nak(AFTER_DIAL_MS);
          return;
      }
    }
  }

  /**
   * Places the attempt; Twilio's refusal ends it `failed`, `notAfter` reached before the request is sent
   * `expired`. Anything unknown (no answer from Twilio, no registration) is left to the lease and to the
   * attempt's callbacks.
   */
  private async dial(
    ref: BatchAttemptRef,
    call: { to: string; from: string; agentId: string; notAfter: string | null },
  ): Promise<void> {
    const { registry, log } = this.deps;
    if (call.notAfter !== null && Date.now() >= Date.parse(call.notAfter)) {
      await this.notPlaced(ref, 'expired', 'notAfter came before the call was sent');
      return;
    }
    try {
      await placeOutboundCall(
        { ...this.deps.outbound, registry },
        { to: call.to, from: call.from, agentId: call.agentId, batch: ref },
        'keep',
      );
    } catch (err) {
      if (!(err instanceof TwilioError && twilioAnswered(err))) {
        log.warn(
          { err: { message: (err as Error).message }, batch: ref },
          'batch call attempt not confirmed',
        );
        return;
      }
      log.info({ batch: ref, code: err.code }, 'Twilio refused a batch call');
      await this.notPlaced(ref, 'failed', err.message);
    }
  }

  /**
   * Asks Twilio how a call that stays live is doing: when it is over (its final callback was lost), stores that
   * status as the callback would have, naming the attempt, so the registry settles it. True when it did.
   */
  private async reconcile(ref: BatchAttemptRef, callSid: string): Promise<boolean> {
    const { outbound, events, log } = this.deps;
    try {
      const found = await outbound.twilio.fetchCall(callSid);
      const status = CallStatus.safeParse(found.status);
      if (!status.success || !TERMINAL_STATUSES.has(status.data)) return false;
      await events.publish(
        {
          kind: 'status',
          callSid,
          status: status.data,
          at: new Date().toISOString(),
          ...(found.durationSeconds === undefined ? {} : { durationSeconds: found.durationSeconds }),
          batch: ref,
        },
        { msgId: `status.${callSid}.${status.data}.fetched`, deadlineMs: this.deps.registryTimeoutMs * 2 },
      );
      log.info(
        { callSid, status: status.data, batch: ref },
        'final status of a batch call learnt from Twilio',
      );
      return true;
    } catch (err) {
      log.warn({ err: { message: (err as Error).message }, callSid }, 'batch call not looked up at Twilio');
      return false;
    }
  }

  private async notPlaced(
    ref: BatchAttemptRef,
    outcome: 'failed' | 'expired',
    reason: string,
  ): Promise<void> {
    const { registry, log } = this.deps;
    await withRetry(
      (timeoutMs) =>
        registry.batchAttemptFailed({ ...ref, outcome, reason: reason.slice(0, 500) }, { timeoutMs }),
      { budgetMs: this.deps.outbound.registerBudgetMs, attemptTimeoutMs: this.deps.registryTimeoutMs },
    ).catch((failed: unknown) =>
      log.warn({ err: failed, batch: ref }, 'attempt not placed and not recorded: the lease frees it'),
    );
  }
}

/** Twilio answered the request (and refused it): the call was not placed. A network failure says nothing. */
function twilioAnswered(err: TwilioError): boolean {
  const details = err.details as { twilioStatus?: unknown } | undefined;
  return typeof details?.twilioStatus === 'number';
}
