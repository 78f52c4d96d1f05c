import type { Server } from 'node:http';
import { type JetStreamManager, jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectBus, DeliveryPublisher, ensureDeliveriesStream, registryClient } from '@switchboard/bus';
import {
  CALL_EVENTS_CONSUMER,
  CALL_EVENTS_STREAM,
  inboxPrefixFor,
  NOTIFIER_EVENTS_CONSUMER,
  NOTIFIER_SERVICE_NAME,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { startHealthServer } from '@switchboard/process';
import { AckFloor } from './ack-floor.js';
import type { NotifierConfig } from './config.js';
import { Deliverer } from './deliverer.js';
import { FanOut } from './fan-out.js';
import { createMetrics } from './metrics.js';
import { RecordingsOver } from './recordings-over.js';
import { Subscriptions } from './subscriptions.js';

/** Between two looks for CALL_EVENTS while the registry has not created it yet. */
const STREAM_WAIT_MS = 500;

export interface NotifierDeps {
  config: NotifierConfig;
  log: Logger;
  /** A connection to use instead of dialling `config.nats`; left open on close. */
  nc?: NatsConnection;
}

export interface Notifier {
  /** The port of `/healthz`, `/readyz`, `/metrics`. */
  httpPort: number;
  /** Stops pulling, lets the deliveries and events in hand finish, then closes. */
  close(): Promise<void>;
}

/** Builds and starts the notifier: call events in, signed webhook deliveries out. Holds no state of its own. */
export async function startNotifier({ config, log, nc: givenNc }: NotifierDeps): Promise<Notifier> {
  const nc =
    givenNc ??
    (await connectBus({
      ...config.nats,
      name: NOTIFIER_SERVICE_NAME,
      inboxPrefix: inboxPrefixFor(NOTIFIER_SERVICE_NAME),
      log,
    }));
  const metrics = createMetrics();
  const jsm = await jetstreamManager(nc);
  await ensureDeliveriesStream(nc, { replicas: config.jetstreamReplicas, log });
  await untilStreamExists(jsm, CALL_EVENTS_STREAM, log);

  const registry = registryClient(nc, { timeoutMs: config.registryTimeoutMs });
  const subscriptions = new Subscriptions(nc, registry, log, config.registryTimeoutMs);
  const registryFloor = new AckFloor(jsm, CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER);
  const fanOutFloor = new AckFloor(jsm, CALL_EVENTS_STREAM, NOTIFIER_EVENTS_CONSUMER);
  const publisher = new DeliveryPublisher(nc, log);

  const recordingsOver = new RecordingsOver();
  const deliverer = new Deliverer({
    nc,
    jsm,
    log,
    registry,
    registryTimeoutMs: config.registryTimeoutMs,
    subscriptions,
    fanOutFloor,
    attemptTimeoutMs: config.attemptTimeoutMs,
    retryBudgetMs: config.retryBudgetMs,
    recordingWaitMs: config.recordingWaitMs,
    recordingsOver,
    ackWaitMs: config.ackWaitMs,
    replicas: config.jetstreamReplicas,
    maxConcurrency: config.maxConcurrency,
    allowPrivateUrls: config.allowPrivateUrls,
    observe: (outcome, type, attemptMs) => {
      metrics.deliveries.inc({ outcome, type });
      if (attemptMs !== undefined)
        metrics.attempts.observe({ result: outcome === 'delivered' ? 'ok' : 'failed' }, attemptMs / 1000);
    },
  });
  const fanOut = new FanOut({
    nc,
    jsm,
    log,
    registry,
    registryTimeoutMs: config.registryTimeoutMs,
    subscriptions,
    registryFloor,
    deliveries: publisher,
    ackWaitMs: config.ackWaitMs,
    recordingsOver,
    replicas: config.jetstreamReplicas,
    observe: (outcome, queued) => {
      metrics.events.inc({ outcome });
      metrics.queued.inc(queued);
    },
  });
  await deliverer.start();
  await fanOut.start();

  const http = await startHealthServer(
    { ready: async () => !nc.isClosed(), promRegistry: metrics.promRegistry },
    config,
  );
  if (config.allowPrivateUrls)
    log.warn('WEBHOOK_ALLOW_PRIVATE_URLS=true: webhooks may reach private addresses');
  log.info({ port: http.port }, 'notifier started');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await fanOut.stop();
      await deliverer.stop();
      subscriptions.stop();
      await closeServer(http.server);
      if (!givenNc) await nc.drain();
      log.info('notifier stopped');
    })();
    return closing;
  };
  return { httpPort: http.port, close };
}

/** CALL_EVENTS is the registry's to create (and to configure): a notifier started first waits for it. */
async function untilStreamExists(jsm: JetStreamManager, stream: string, log: Logger): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await jsm.streams.info(stream);
      return;
    } catch (err) {
      if (attempt === 0)
        log.info({ stream, err: { message: (err as Error).message } }, 'waiting for the stream');
      await new Promise((resolve) => setTimeout(resolve, STREAM_WAIT_MS));
    }
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
