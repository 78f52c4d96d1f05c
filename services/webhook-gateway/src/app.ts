import { jetstream } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import type { DeliveryPublisher, EventSink } from '@switchboard/bus';
import type { Logger } from '@switchboard/logger';
import express, { type ErrorRequestHandler, type Express, type RequestHandler } from 'express';
import { ApiKeys, apiKeyCheck } from './api-keys.js';
import { bodyParsers } from './body.js';
import type { GatewayConfig } from './config.js';
import { consoleRouter } from './console/console-router.js';
import type { RecentErrors } from './console/recent-errors.js';
import { ConsoleSessions } from './console/sessions.js';
import { PayloadTooLargeError, RouteNotFoundError, toHttpError } from './errors.js';
import { observeHttp } from './http-observe.js';
import type { GatewayMetrics } from './metrics.js';
import type { Placer } from './placement/placement.js';
import { streamTarget } from './placement/stream-target.js';
import type { GatewayRegistry } from './registry.js';
import { apiAgentsRouter } from './routes/api-agents.js';
import { apiCallBatchesRouter } from './routes/api-call-batches.js';
import { apiCallControlRouter, type CallController } from './routes/api-call-control.js';
import { apiCallsRouter } from './routes/api-calls.js';
import { apiEventsRouter, type EventStreams } from './routes/api-events.js';
import { apiRecordingsRouter } from './routes/api-recordings.js';
import { apiSystemRouter } from './routes/api-system.js';
import { apiWebhooksRouter } from './routes/api-webhooks.js';
import { healthRouter } from './routes/health.js';
import { twilioAmdHandler } from './routes/twilio-amd.js';
import { twilioDialResultHandler } from './routes/twilio-dial-result.js';
import { twilioRecordingHandler } from './routes/twilio-recording.js';
import { twilioStatusHandler } from './routes/twilio-status.js';
import { twilioStreamEndedHandler } from './routes/twilio-stream-ended.js';
import { twilioVoiceHandler } from './routes/twilio-voice.js';
import { twilioSignatureCheck } from './signature.js';
import type { TwilioCalls } from './twilio-client.js';
import { STREAM_ENDED_PATH } from './twiml.js';

/** Placement not wired: every call goes to MEDIA_STREAM_URL. */
const NO_PLACEMENT: Placer = { place: async () => undefined, hasCandidates: () => false };

/** Every route refuses bodies above this with 413 (SPEC: 64 KiB)… */
export const BODY_LIMIT_BYTES = 64 * 1024;
/** …but `POST /api/call-batches`, whose up to 10,000 calls need more (about 300 bytes each, variables included). */
export const BATCH_BODY_LIMIT_BYTES = 4 * 1024 * 1024;
export const BATCH_BODY_PATH = '/api/call-batches';

/** The body limit of a request: the batch route's, or everyone's. */
export function bodyLimitFor(method: string, path: string): number {
  return method === 'POST' && path === BATCH_BODY_PATH ? BATCH_BODY_LIMIT_BYTES : BODY_LIMIT_BYTES;
}

export interface AppDeps {
  config: GatewayConfig;
  log: Logger;
  registry: GatewayRegistry;
  events: EventSink;
  /** Where webhook replays queue dead letters again. */
  deliveries: Pick<DeliveryPublisher, 'queue'>;
  outbound: TwilioCalls | undefined;
  /** Live control: asks the worker holding a call's stream. */
  control: CallController;
  /** Asks workers for a slot for a call (placement); undefined: no worker is ever asked. */
  placer?: Placer;
  metrics: GatewayMetrics;
  natsOpen: () => boolean;
  draining: () => boolean;
  /** For the console's event streams and system figures. */
  nc: NatsConnection;
  recentErrors: RecentErrors;
  /** The open `GET /api/events` streams (ended when the gateway stops). */
  eventStreams: EventStreams;
  /** This gateway, as the system page shows it. */
  self: { id: string; version: string; startedAt: string };
  /** Starts a call's recording once it is answered (recordings/recording-starter.ts). */
  recordCall: (callSid: string) => void;
}

/** Refuses a declared Content-Length above the limit before any parser runs, whatever the content type. */
function declaredLengthLimit(): RequestHandler {
  return (req, _res, next) => {
    const limitBytes = bodyLimitFor(req.method, req.path);
    const declared = Number(req.get('content-length') ?? 0);
    next(declared > limitBytes ? new PayloadTooLargeError(limitBytes) : undefined);
  };
}

/** The body parsers with the request's limit (see `bodyLimitFor`). */
function limitedBodyParsers(): RequestHandler[] {
  const everyone = bodyParsers(BODY_LIMIT_BYTES);
  const batches = bodyParsers(BATCH_BODY_LIMIT_BYTES);
  return everyone.map(
    (parser, i): RequestHandler =>
      (req, res, next) =>
        (bodyLimitFor(req.method, req.path) === BODY_LIMIT_BYTES ? parser : (batches[i] as RequestHandler))(
          req,
          res,
          next,
        ),
  );
}

/** While shutting down, each response closes its connection so keep-alive clients move elsewhere. */
function closeConnectionsWhenDraining(draining: () => boolean): RequestHandler {
  return (_req, res, next) => {
    if (draining()) res.set('Connection', 'close');
    next();
  };
}

function errorHandler(log: Logger, recent: RecentErrors): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const { status, body, serverSide } = toHttpError(err);
    if (serverSide) {
      log.error({ err, method: req.method, path: req.path, status }, 'request failed');
      const { code, message } = body.error;
      recent.add({ at: new Date().toISOString(), method: req.method, path: req.path, status, code, message });
    } else
      log.debug({ method: req.method, path: req.path, status, code: body.error.code }, 'request refused');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json(body);
  };
}

/** The gateway's HTTP surface: Twilio's webhooks, the API, health and metrics. No I/O of its own. */
export function createApp(deps: AppDeps): Express {
  const { config, log, registry, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(observeHttp(metrics.observeHttp.bind(metrics)));
  app.use(closeConnectionsWhenDraining(deps.draining));
  app.use(declaredLengthLimit());
  app.use(limitedBodyParsers());

  app.use(healthRouter({ registry, natsOpen: deps.natsOpen, draining: deps.draining, metrics }));

  const twilioRoutes = express.Router();
  twilioRoutes.use(
    twilioSignatureCheck({
      authToken: config.twilio.authToken,
      skip: config.twilio.skipSignature,
      publicBaseUrl: config.publicBaseUrl,
      log,
    }),
  );
  const streamEndedUrl = `${config.publicBaseUrl}${STREAM_ENDED_PATH}`;
  const target = streamTarget({
    placer: deps.placer ?? NO_PLACEMENT,
    fallbackUrl: config.mediaStreamUrl,
    metrics,
    log,
  });
  twilioRoutes.post(
    '/voice',
    twilioVoiceHandler({
      registry,
      streamTarget: target,
      streamEndedUrl,
      registryTimeoutMs: config.registryTimeoutMs,
      voiceBudgetMs: config.voiceBudgetMs,
      metrics,
      log,
      recordCall: deps.recordCall,
    }),
  );
  twilioRoutes.post(
    '/status',
    twilioStatusHandler({
      events: deps.events,
      publishDeadlineMs: config.statusPublishDeadlineMs,
      metrics,
      log,
    }),
  );
  twilioRoutes.post(
    '/stream-ended',
    twilioStreamEndedHandler({ registry, registryTimeoutMs: config.registryTimeoutMs, metrics, log }),
  );
  twilioRoutes.post(
    '/dial-result',
    twilioDialResultHandler({
      registry,
      registryTimeoutMs: config.registryTimeoutMs,
      streamTarget: target,
      streamEndedUrl,
      events: deps.events,
      metrics,
      log,
    }),
  );
  const storeEvents = {
    events: deps.events,
    publishDeadlineMs: config.statusPublishDeadlineMs,
    metrics,
    log,
  };
  twilioRoutes.post('/recording', twilioRecordingHandler(storeEvents));
  twilioRoutes.post(
    '/amd',
    twilioAmdHandler({
      ...storeEvents,
      registry,
      registryTimeoutMs: config.registryTimeoutMs,
      registryBudgetMs: config.voiceBudgetMs,
      calls: deps.outbound,
      control: deps.control,
    }),
  );
  app.use('/twilio', twilioRoutes);

  const keys = new ApiKeys(config.apiKeys);
  const sessions = new ConsoleSessions(config.apiKeys, config.publicBaseUrl, config.console.sessionTtlMs);
  app.use(consoleRouter({ keys, sessions, log }));

  app.use(
    '/api',
    apiKeyCheck({ keys, session: sessions }),
    apiEventsRouter({ nc: deps.nc, log, streams: deps.eventStreams }),
    apiSystemRouter({
      nc: deps.nc,
      registry,
      registryTimeoutMs: config.registryTimeoutMs,
      errors: deps.recentErrors,
      self: () => ({ ...deps.self, eventStreams: deps.eventStreams.size }),
    }),
    apiCallsRouter({
      registry,
      outbound: deps.outbound,
      publicBaseUrl: config.publicBaseUrl,
      defaultFromNumber: config.twilio.fromNumber,
      registryTimeoutMs: config.registryTimeoutMs,
      registerBudgetMs: config.voiceBudgetMs,
      log,
    }),
    apiCallControlRouter({ registry, control: deps.control, registryTimeoutMs: config.registryTimeoutMs }),
    apiRecordingsRouter({
      registry,
      recordings: deps.outbound?.recordings,
      events: deps.events,
      registryTimeoutMs: config.registryTimeoutMs,
      publishDeadlineMs: config.statusPublishDeadlineMs,
      log,
    }),
    apiCallBatchesRouter({
      registry,
      js: jetstream(deps.nc),
      defaultFromNumber: config.twilio.fromNumber,
      outboundConfigured: deps.outbound !== undefined,
      registryTimeoutMs: config.registryTimeoutMs,
      log,
    }),
    apiAgentsRouter({ registry, registryTimeoutMs: config.registryTimeoutMs }),
    apiWebhooksRouter({
      registry,
      registryTimeoutMs: config.registryTimeoutMs,
      allowPrivateUrls: config.webhookAllowPrivateUrls,
      deliveries: deps.deliveries,
    }),
  );

  app.use((req, _res, next) => next(new RouteNotFoundError(req.method, req.path)));
  app.use(errorHandler(log, deps.recentErrors));
  return app;
}
