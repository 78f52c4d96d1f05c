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
import type { GatewayRegistry } from './registry.js';
import { apiAgentsRouter } from './routes/api-agents.js';
import { apiCallControlRouter, type CallController } from './routes/api-call-control.js';
import { apiCallsRouter } from './routes/api-calls.js';
import { apiEventsRouter, type EventStreams } from './routes/api-events.js';
import { apiSystemRouter } from './routes/api-system.js';
import { apiWebhooksRouter } from './routes/api-webhooks.js';
import { healthRouter } from './routes/health.js';
import { twilioDialResultHandler } from './routes/twilio-dial-result.js';
import { twilioStatusHandler } from './routes/twilio-status.js';
import { twilioStreamEndedHandler } from './routes/twilio-stream-ended.js';
import { twilioVoiceHandler } from './routes/twilio-voice.js';
import { twilioSignatureCheck } from './signature.js';
import type { TwilioCalls } from './twilio-client.js';
import { STREAM_ENDED_PATH } from './twiml.js';

/** Every route refuses bodies above this with 413 (SPEC: 64 KiB). */
export const BODY_LIMIT_BYTES = 64 * 1024;

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
}

/** Refuses a declared Content-Length above the limit before any parser runs, whatever the content type. */
function declaredLengthLimit(limitBytes: number): RequestHandler {
  return (req, _res, next) => {
    const declared = Number(req.get('content-length') ?? 0);
    next(declared > limitBytes ? new PayloadTooLargeError(limitBytes) : undefined);
  };
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
  app.use(declaredLengthLimit(BODY_LIMIT_BYTES));
  app.use(bodyParsers(BODY_LIMIT_BYTES));

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
  twilioRoutes.post(
    '/voice',
    twilioVoiceHandler({
      registry,
      mediaStreamUrl: config.mediaStreamUrl,
      streamEndedUrl,
      registryTimeoutMs: config.registryTimeoutMs,
      voiceBudgetMs: config.voiceBudgetMs,
      metrics,
      log,
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
      mediaStreamUrl: config.mediaStreamUrl,
      streamEndedUrl,
      events: deps.events,
      metrics,
      log,
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
