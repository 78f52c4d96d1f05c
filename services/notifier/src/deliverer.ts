import { AckPolicy, type JetStreamManager, type JsMsg } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { decodeJson, type RegistryClient } from '@switchboard/bus';
import {
  Call,
  NOTIFIER_DELIVERIES_CONSUMER,
  SwitchboardError,
  WEBHOOK_DELIVERIES_STREAM,
  WEBHOOK_DELIVERIES_SUBJECTS,
  WebhookDelivery,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { Webhook } from 'standardwebhooks';
import type { AckFloor } from './ack-floor.js';
import { type PostOutcome, postJson } from './http-post.js';
import { KeyedPull } from './keyed-pull.js';
import { awaitsRecording, type RecordingDecision, recordingDecision, withRecording } from './plan.js';
import type { RecordingsOver } from './recordings-over.js';
import { budgetSpent, retryGapMs, waitBehindMs } from './retry-schedule.js';
import type { Subscriptions } from './subscriptions.js';

/** Failure streaks remembered per replica (the attempts count and when failures began), oldest forgotten first. */
const MAX_REMEMBERED_STREAKS = 100_000;
/** A dead letter that cannot be recorded yet is tried again after this long. */
const DEAD_LETTER_RETRY_MS = 5_000;
/** How long a delivery waits here for the events before its own to be fanned out, before it goes back. */
const FAN_OUT_WAIT_MS = 2_000;
/** Of one subject, at most this many deliveries are looked at to find whether one is ahead. */
const MAX_SCAN = 10_000;
/** Between two looks at the registry while a `call.ended` waits for the call's recording. */
export const RECORDING_POLL_MS = 1_000;

export type DeliveryOutcome = 'delivered' | 'failed' | 'dead-lettered' | 'waiting' | 'dropped';

export interface DelivererDeps {
  nc: NatsConnection;
  jsm: JetStreamManager;
  log: Logger;
  registry: Pick<RegistryClient, 'webhookFailedAdd' | 'callBySid'>;
  registryTimeoutMs: number;
  subscriptions: Subscriptions;
  /** The fan-out's consumer of CALL_EVENTS: up to where every event's deliveries are queued. */
  fanOutFloor: AckFloor;
  attemptTimeoutMs: number;
  retryBudgetMs: number;
  /** How long after a recorded call ends its `call.ended` waits for the recording (`WEBHOOK_RECORDING_WAIT_MS`). */
  recordingWaitMs: number;
  /** Calls whose recording the fan-out saw end without one. */
  recordingsOver?: RecordingsOver;
  ackWaitMs: number;
  /** Replicas of its durable consumer (`JETSTREAM_REPLICAS`). */
  replicas: number;
  maxConcurrency: number;
  allowPrivateUrls: boolean;
  observe?: (outcome: DeliveryOutcome, type: string, attemptMs?: number) => void;
}

interface Streak {
  attempts: number;
  firstFailureAt: number;
}

/**
 * The notifier's durable consumer of WEBHOOK_DELIVERIES (`notifier-deliveries`), shared by every replica.
 * Each subject (one subscription, one call) is a queue ordered by the events the deliveries came from: a
 * delivery is attempted only once every earlier event is fanned out (the fan-out consumer's acknowledgement
 * floor) and no delivery of its subject from an earlier event is left in the stream (the work queue removes
 * what is acknowledged), so a later event of a call waits while an earlier one is retried, whichever replica
 * holds which. A failed attempt goes
 * back to the stream with a delay from the retry schedule (JetStream redelivery, no timer of ours holds it);
 * past the retry budget it is recorded as a dead letter in the registry, then acknowledged.
 */
export class Deliverer {
  private readonly pull: KeyedPull;
  private readonly streaks = new Map<number, Streak>();
  private readonly signers = new Map<string, Webhook>();

  constructor(private readonly deps: DelivererDeps) {
    this.pull = new KeyedPull({
      nc: deps.nc,
      jsm: deps.jsm,
      stream: WEBHOOK_DELIVERIES_STREAM,
      consumer: {
        durable_name: NOTIFIER_DELIVERIES_CONSUMER,
        ack_policy: AckPolicy.Explicit,
        filter_subject: WEBHOOK_DELIVERIES_SUBJECTS,
        ack_wait: deps.ackWaitMs * 1_000_000,
        num_replicas: deps.replicas,
        max_deliver: -1,
        max_ack_pending: Math.max(1_000, deps.maxConcurrency * 4),
      },
      maxMessages: Math.min(1_000, deps.maxConcurrency * 2),
      concurrency: deps.maxConcurrency,
      // One subscription and one call: one after the other here.
      keyOf: (msg) => msg.subject,
      handle: (msg) => this.handle(msg),
      onError: (msg, err) => {
        // The registry or NATS could not be asked (the subscription, the queue ahead): try again later.
        deps.log.warn(
          { err: { message: (err as Error).message }, subject: msg.subject },
          'delivery postponed',
        );
        msg.nak(DEAD_LETTER_RETRY_MS);
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
    const decoded = decodeJson(msg.data);
    const parsed = decoded.ok ? WebhookDelivery.safeParse(decoded.value) : undefined;
    if (!parsed?.success) {
      log.warn({ subject: msg.subject, seq: msg.seq }, 'invalid delivery discarded');
      msg.term();
      return;
    }
    let delivery = parsed.data;
    const queuedAt = Math.floor(Number(msg.info.timestampNanos) / 1_000_000);
    const subscription = await this.deps.subscriptions.get(delivery.webhookId);
    if (!subscription) {
      // Deleted since: nothing is owed any more.
      log.info(
        { webhookId: delivery.webhookId, deliveryId: delivery.deliveryId },
        'delivery dropped: webhook deleted',
      );
      await this.finish(msg);
      observe?.('dropped', delivery.type);
      return;
    }
    const fannedOut =
      delivery.sourceSeq === 0 ||
      (await this.deps.fanOutFloor.reach(delivery.sourceSeq - 1, FAN_OUT_WAIT_MS));
    if (!fannedOut || (await this.anyAhead(msg.subject, msg.seq, delivery.sourceSeq))) {
      msg.nak(waitBehindMs(Date.now() - queuedAt));
      observe?.('waiting', delivery.type);
      return;
    }
    if (delivery.type === 'call.ended') {
      const decision = await this.recordingFor(delivery);
      if (decision.kind === 'hold') {
        // Back to the stream (no timer of ours): later deliveries of this call and subscription wait behind it.
        msg.nak(RECORDING_POLL_MS);
        observe?.('waiting', delivery.type);
        return;
      }
      if (decision.recording)
        delivery = { ...delivery, body: withRecording(delivery.body, decision.recording) };
    }
    msg.working();
    const started = performance.now();
    const outcome = await this.attempt(subscription.url, subscription.secret, delivery);
    const attemptMs = performance.now() - started;
    if (outcome.ok) {
      await this.finish(msg);
      observe?.('delivered', delivery.type, attemptMs);
      return;
    }
    const now = Date.now();
    const streak = this.streaks.get(msg.seq) ?? { attempts: 0, firstFailureAt: now };
    streak.attempts++;
    this.remember(msg.seq, streak);
    const ageMs = now - queuedAt;
    if (!budgetSpent(ageMs, this.deps.retryBudgetMs)) {
      const gap = retryGapMs(now - streak.firstFailureAt, ageMs);
      log.debug(
        { deliveryId: delivery.deliveryId, error: outcome.error, gap },
        'delivery failed, will retry',
      );
      msg.nak(gap);
      observe?.('failed', delivery.type, attemptMs);
      return;
    }
    await this.deadLetter(msg, delivery, streak.attempts, outcome.error, queuedAt);
  }

  /** Whether a `call.ended` goes now (with the recording it gained since, if any) or waits for it. */
  private async recordingFor(delivery: WebhookDelivery): Promise<RecordingDecision> {
    let body: { data?: { call?: unknown } } | undefined;
    try {
      body = JSON.parse(delivery.body) as typeof body;
    } catch {
      // Not ours to fix here: sent as it is.
    }
    const reported = Call.safeParse(body?.data?.call);
    if (!reported.success || !awaitsRecording(reported.data)) return { kind: 'send', recording: null };
    const current = await this.deps.registry
      .callBySid({ callSid: delivery.callSid }, { timeoutMs: this.deps.registryTimeoutMs })
      .catch((err: unknown) => {
        if (err instanceof SwitchboardError && err.code === 'CALL_NOT_FOUND') return null;
        this.deps.log.debug(
          { err: { message: (err as Error).message } },
          'registry not asked about the recording',
        );
        return undefined;
      });
    if (current === null) return { kind: 'send', recording: null };
    const over = this.deps.recordingsOver?.has(delivery.callSid) ?? false;
    return recordingDecision(reported.data, current, Date.now(), this.deps.recordingWaitMs, over);
  }

  private async attempt(url: string, secret: string, delivery: WebhookDelivery): Promise<PostOutcome> {
    let signer = this.signers.get(secret);
    if (!signer) {
      signer = new Webhook(secret);
      this.signers.set(secret, signer);
    }
    const at = new Date();
    return postJson(url, delivery.body, {
      headers: {
        'webhook-id': delivery.deliveryId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signer.sign(delivery.deliveryId, at, delivery.body),
      },
      timeoutMs: this.deps.attemptTimeoutMs,
      allowPrivateUrls: this.deps.allowPrivateUrls,
    });
  }

  private async deadLetter(
    msg: JsMsg,
    delivery: WebhookDelivery,
    attempts: number,
    lastError: string,
    queuedAt: number,
  ): Promise<void> {
    const key = msg.headers?.get('Nats-Msg-Id') || `${WEBHOOK_DELIVERIES_STREAM}:${msg.seq}`;
    try {
      await this.deps.registry.webhookFailedAdd(
        {
          key,
          delivery,
          attempts,
          lastError: lastError.slice(0, 1_000),
          queuedAt: new Date(queuedAt).toISOString(),
        },
        { timeoutMs: this.deps.registryTimeoutMs },
      );
    } catch (err) {
      if (!(err instanceof SwitchboardError && err.code === 'WEBHOOK_NOT_FOUND')) {
        this.deps.log.warn({ err: { message: (err as Error).message }, key }, 'dead letter not recorded yet');
        msg.nak(DEAD_LETTER_RETRY_MS);
        return;
      }
    }
    this.deps.log.warn(
      { webhookId: delivery.webhookId, deliveryId: delivery.deliveryId, attempts, lastError },
      'delivery given up, dead letter recorded',
    );
    await this.finish(msg);
    this.deps.observe?.('dead-lettered', delivery.type);
  }

  /**
   * Acknowledged and confirmed by the server, so that the next delivery of the subject (here or on another
   * replica) no longer finds this one in the stream.
   */
  private async finish(msg: JsMsg): Promise<void> {
    this.streaks.delete(msg.seq);
    await msg.ackAck().catch(() => msg.ack());
  }

  private remember(seq: number, streak: Streak): void {
    this.streaks.delete(seq);
    this.streaks.set(seq, streak);
    if (this.streaks.size > MAX_REMEMBERED_STREAKS) {
      const oldest = this.streaks.keys().next().value;
      if (oldest !== undefined) this.streaks.delete(oldest);
    }
  }

  /**
   * Whether a delivery of `subject` from an earlier event (or from the same event, stored earlier) is still in
   * the stream. Read with raw `STREAM.MSG.GET` requests with `next_by_subj`: nats.js types that for direct
   * gets only, which nats-server 2.9 serves only on streams with `allow_direct`; the plain API answers it.
   */
  private async anyAhead(subject: string, seq: number, sourceSeq: number): Promise<boolean> {
    let from = 0;
    for (let scanned = 0; scanned < MAX_SCAN; scanned++) {
      const found = await this.nextOf(subject, from);
      if (!found) return false;
      if (found.seq !== seq) {
        const other = found.sourceSeq;
        if (other < sourceSeq || (other === sourceSeq && found.seq < seq)) return true;
      }
      from = found.seq + 1;
    }
    return true;
  }

  private async nextOf(
    subject: string,
    from: number,
  ): Promise<{ seq: number; sourceSeq: number } | undefined> {
    const reply = await this.deps.nc.request(
      `$JS.API.STREAM.MSG.GET.${WEBHOOK_DELIVERIES_STREAM}`,
      JSON.stringify({ seq: from, next_by_subj: subject }),
      { timeout: this.deps.registryTimeoutMs },
    );
    const decoded = decodeJson(reply.data);
    const body = (decoded.ok ? decoded.value : {}) as {
      message?: { seq?: unknown; data?: unknown };
      error?: { code?: unknown };
    };
    const message = body.message;
    if (typeof message?.seq === 'number') {
      const data = typeof message.data === 'string' ? Buffer.from(message.data, 'base64') : new Uint8Array();
      const stored = decodeJson(data);
      const parsed = stored.ok ? WebhookDelivery.safeParse(stored.value) : undefined;
      // Something unreadable holds nobody up: it is discarded when its turn comes.
      return {
        seq: message.seq,
        sourceSeq: parsed?.success ? parsed.data.sourceSeq : Number.MAX_SAFE_INTEGER,
      };
    }
    if (body.error?.code === 404) return undefined;
    throw new Error(`stream message lookup failed: ${JSON.stringify(body.error ?? 'malformed reply')}`);
  }
}
