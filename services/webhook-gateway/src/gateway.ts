import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  connectBus,
  DeliveryPublisher,
  EventPublisher,
  type EventSink,
  registryClient,
  request,
} from '@switchboard/bus';
import { GATEWAY_SERVICE_NAME, inboxPrefixFor } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { createApp } from './app.js';
import { BatchDispatcher } from './batches/dispatcher.js';
import type { GatewayConfig } from './config.js';
import { RecentErrors } from './console/recent-errors.js';
import { GatewayMetrics } from './metrics.js';
import { Placement } from './placement/placement.js';
import { RecordingStarter } from './recordings/recording-starter.js';
import { observedRegistry } from './registry.js';
import { type CallController, callControlSpec, callNotLive, hasEnded } from './routes/api-call-control.js';
import { EventStreams } from './routes/api-events.js';
import { RECORDING_CALLBACK_PATH } from './routes/twilio-recording.js';
import { type TwilioCalls, twilioCalls } from './twilio-client.js';
import { startTwilioRestService } from './twilio-rest-service.js';

/** Idle keep-alive connections are kept this long: longer than a load balancer's usual 60 s. */
export const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** While stopping, how often connections whose requests were answered are closed. */
const IDLE_SWEEP_MS = 50;
export const GATEWAY_VERSION = '0.1.0';

export interface StartGatewayOptions {
  config: GatewayConfig;
  log: Logger;
  /** A NATS connection to use (and leave open on close); by default the gateway opens and drains its own. */
  nc?: NatsConnection;
  /** Twilio's Calls resource (outbound calls, transfers); by default Twilio's REST API through the twilio library. */
  twilio?: TwilioCalls;
  /** Stores call events; by default JetStream through the bus' EventPublisher. */
  events?: EventSink;
}

export interface Gateway {
  /** The port it listens on (useful with PORT=0). */
  readonly port: number;
  readonly url: string;
  /** Stops accepting, lets requests in flight finish (up to SHUTDOWN_TIMEOUT_MS), then drains NATS. */
  close(): Promise<void>;
}

async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

export async function startGateway(options: StartGatewayOptions): Promise<Gateway> {
  const { config, log } = options;
  const nc =
    options.nc ??
    (await connectBus({
      url: config.nats.url,
      name: GATEWAY_SERVICE_NAME,
      inboxPrefix: inboxPrefixFor(GATEWAY_SERVICE_NAME),
      user: config.nats.user,
      password: config.nats.password,
      credsFile: config.nats.credsFile,
      log,
    }));
  const ownsConnection = options.nc === undefined;
  // The registry owns CALL_EVENTS and creates it; until it has, publishes retry (and status callbacks get
  // 503 after their deadline, so Twilio redelivers).

  if (config.twilio.skipSignature) log.warn('TWILIO_SKIP_SIGNATURE=true: Twilio signatures are NOT checked');
  if (config.apiKeys.length === 0) log.warn('API_KEYS is empty: every /api request will be refused');
  const calls = options.twilio ?? twilioCalls(config.twilio);
  if (calls === undefined)
    log.warn('outbound calls and transfers disabled: TWILIO_ACCOUNT_SID or TWILIO_AUTH_TOKEN is missing');

  const metrics = new GatewayMetrics();
  const events = options.events ?? new EventPublisher(nc, log);
  const registry = observedRegistry(registryClient(nc, { timeoutMs: config.registryTimeoutMs }), (...args) =>
    metrics.observeRegistry(...args),
  );
  const control: CallController = (callSid, controlRequest) =>
    request(nc, callControlSpec(callSid), controlRequest, {
      timeoutMs: config.registryTimeoutMs,
      noResponders: (_subject, cause) => callNotLive(callSid, cause),
    });
  const placement = new Placement({ nc, timeoutMs: config.placementTimeoutMs, metrics, log });
  let draining = false;
  const instance = {
    id: randomBytes(8).toString('hex'),
    version: GATEWAY_VERSION,
    startedAt: new Date().toISOString(),
  };
  const eventStreams = new EventStreams(config.console.maxEventStreams, (open) =>
    metrics.eventStreams.set(open),
  );
  const recorder = new RecordingStarter({
    callEnded: async (callSid) => hasEnded(await registry.callBySid({ callSid })),
    recordings: calls?.recordings,
    statusCallback: `${config.publicBaseUrl}${RECORDING_CALLBACK_PATH}`,
    events,
    budgetMs: config.recordingStartBudgetMs,
    metrics,
    log,
  });
  const app = createApp({
    recordCall: (callSid) => recorder.start(callSid),
    nc,
    recentErrors: new RecentErrors(),
    eventStreams,
    self: instance,
    config,
    log,
    registry,
    events,
    deliveries: new DeliveryPublisher(nc, log),
    outbound: calls,
    control,
    placer: placement,
    metrics,
    natsOpen: () => !nc.isClosed(),
    draining: () => draining,
  });
  let twilioRest: Awaited<ReturnType<typeof startTwilioRestService>>;
  try {
    twilioRest = await startTwilioRestService({
      nc,
      calls,
      publicBaseUrl: config.publicBaseUrl,
      metrics,
      log,
    });
  } catch (err) {
    placement.close();
    if (ownsConnection) await nc.close();
    throw err;
  }
  let dispatcher: BatchDispatcher | undefined;
  if (calls !== undefined) {
    dispatcher = BatchDispatcher.start({
      nc,
      registry: registry,
      outbound: {
        twilio: calls,
        publicBaseUrl: config.publicBaseUrl,
        registryTimeoutMs: config.registryTimeoutMs,
        registerBudgetMs: config.voiceBudgetMs,
        log,
      },
      settings: {
        replicas: config.batches.replicas,
        concurrency: config.batches.dispatchConcurrency,
        ackWaitMs: config.batches.ackWaitMs,
        dialLeaseMs: config.batches.dialLeaseMs,
        reconcileAfterMs: config.batches.reconcileAfterMs,
      },
      events,
      registryTimeoutMs: config.registryTimeoutMs,
      log,
      observeClaim: (answer) => metrics.batchClaims.inc({ answer }),
    });
  }
  const server = createServer({ keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS }, app);
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1_000;
  let address: AddressInfo;
  try {
    address = await listen(server, config.port, config.host);
  } catch (err) {
    await dispatcher?.stop();
    await twilioRest.drain();
    placement.close();
    if (ownsConnection) await nc.close();
    throw err;
  }
  log.info({ host: address.address, port: address.port }, 'webhook gateway listening');

  let closing: Promise<void> | undefined;
  const close = async () => {
    draining = true;
    log.info('webhook gateway stopping');
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Event streams never finish by themselves: end them, each browser resumes on another replica.
    eventStreams.endAll();
    // A keep-alive connection becomes idle when its request is answered: close it then, not at its timeout.
    const sweep = setInterval(() => server.closeIdleConnections(), IDLE_SWEEP_MS);
    server.closeIdleConnections();
    const force = setTimeout(() => {
      log.warn('requests still in flight at the shutdown timeout, closing their connections');
      server.closeAllConnections();
    }, config.shutdownTimeoutMs);
    await closed;
    clearInterval(sweep);
    clearTimeout(force);
    // The batch calls in hand finish their step; their messages go to the other replicas.
    await dispatcher?.stop();
    // Transfers asked for before the stop are answered; the other replicas take the ones after it.
    await twilioRest.drain();
    // Recordings being started finish (each within RECORDING_START_BUDGET_MS) before NATS goes.
    await recorder.drain();
    placement.close();
    if (ownsConnection) await nc.drain();
    log.info('webhook gateway stopped');
  };
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    port: address.port,
    url: `http://${host}:${address.port}`,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}
