import {
  type JetStreamClient,
  jetstream,
  RetentionPolicy,
  StorageType,
  type StreamInfo,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  deliverySubject,
  WEBHOOK_DELIVERIES_STREAM,
  WEBHOOK_DELIVERIES_SUBJECTS,
  type WebhookDelivery,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { publishDurably } from './jetstream.js';
import { DUPLICATE_WINDOW_MS, type EnsureStreamOptions, ensureStream } from './streams.js';

/**
 * Creates WEBHOOK_DELIVERIES: a work queue (a delivery leaves once its consumer acknowledges it: sent, or
 * recorded as a dead letter), one subject per subscription and call so that each call's deliveries to one
 * receiver form a queue of their own in stream order.
 */
export function ensureDeliveriesStream(
  nc: NatsConnection,
  options: EnsureStreamOptions = {},
): Promise<StreamInfo> {
  return ensureStream(
    nc,
    {
      name: WEBHOOK_DELIVERIES_STREAM,
      subjects: [WEBHOOK_DELIVERIES_SUBJECTS],
      storage: StorageType.File,
      retention: RetentionPolicy.Workqueue,
      duplicate_window: DUPLICATE_WINDOW_MS * 1_000_000,
    },
    options,
  );
}

/** Queues webhook deliveries, each stored once per message id (a repeat within the duplicate window is not). */
export class DeliveryPublisher {
  private readonly js: JetStreamClient;

  constructor(
    nc: NatsConnection,
    private readonly log?: Logger,
  ) {
    this.js = jetstream(nc);
  }

  /** Resolves once stored; rejects after `deadlineMs` (unlimited unless given). */
  queue(delivery: WebhookDelivery, msgId: string, deadlineMs?: number): Promise<void> {
    return publishDurably(
      this.js,
      deliverySubject(delivery.webhookId, delivery.callSid),
      JSON.stringify(delivery),
      {
        msgId,
        ...(deadlineMs === undefined ? {} : { deadlineMs }),
        log: this.log,
        logFields: { webhookId: delivery.webhookId, callSid: delivery.callSid },
      },
    );
  }
}
