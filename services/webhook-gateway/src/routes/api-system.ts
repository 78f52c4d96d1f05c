import { jetstreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { discoverServices, type ServiceStats } from '@switchboard/bus';
import {
  CALL_EVENTS_CONSUMER,
  CALL_EVENTS_STREAM,
  GATEWAY_SERVICE_NAME,
  type HealthReply,
  SwitchboardError,
} from '@switchboard/contracts';
import { Router } from 'express';
import type { RecentErrors } from '../console/recent-errors.js';
import type { GatewayRegistry } from '../registry.js';

export interface ApiSystemDeps {
  nc: NatsConnection;
  registry: GatewayRegistry;
  registryTimeoutMs: number;
  errors: RecentErrors;
  /** This gateway: its version, when it started, its open event streams. */
  self: () => { id: string; version: string; startedAt: string; eventStreams: number };
}

interface Problem {
  code: string;
  message: string;
}

const problem = (err: unknown): Problem =>
  err instanceof SwitchboardError
    ? { code: err.code, message: err.message }
    : { code: 'UNAVAILABLE', message: (err as Error).message };

/**
 * `GET /api/system`: what the console's system page shows, gathered over NATS now. Each part is answered on
 * its own: one that cannot be had is `{"error"}` and the rest still comes.
 */
export function apiSystemRouter(deps: ApiSystemDeps): Router {
  const router = Router();
  router.get('/system', async (_req, res) => {
    const [services, health, events] = await Promise.all([
      discoverServices(deps.nc).then(
        (found) => ({ replicas: found.map(replica) }),
        (err: unknown) => ({ error: problem(err) }),
      ),
      deps.registry.registryHealth({}, { timeoutMs: deps.registryTimeoutMs }).then(
        (reply: HealthReply) => reply,
        (err: unknown) => ({ error: problem(err) }),
      ),
      eventsFigures(deps.nc).catch((err: unknown) => ({ error: problem(err) })),
    ]);
    const self = deps.self();
    res.set('Cache-Control', 'no-store').json({
      at: new Date().toISOString(),
      gateway: {
        name: GATEWAY_SERVICE_NAME,
        ...self,
        uptimeSeconds: Math.round(process.uptime()),
        rssBytes: process.memoryUsage.rss(),
        node: process.version,
      },
      services,
      registry: health,
      events,
      errors: deps.errors.list(),
    });
  });
  return router;
}

/** A replica as `$SRV.STATS` describes it, each endpoint's figures from its `data` when it has them. */
function replica(stats: ServiceStats) {
  return {
    name: stats.name,
    id: stats.id,
    version: stats.version,
    started: stats.started,
    metadata: stats.metadata ?? {},
    endpoints: (stats.endpoints ?? []).map((e) => {
      const data = (e.data ?? {}) as Record<string, unknown>;
      return {
        name: e.name,
        subject: e.subject,
        requests: typeof data.num_requests === 'number' ? data.num_requests : e.num_requests,
        errors: typeof data.num_errors === 'number' ? data.num_errors : e.num_errors,
        lastError: (typeof data.last_error === 'string' ? data.last_error : e.last_error) || undefined,
        averageMs:
          (typeof data.average_processing_time === 'number'
            ? data.average_processing_time
            : e.average_processing_time) / 1e6,
        ...(data.pool === undefined ? {} : { pool: data.pool }),
      };
    }),
  };
}

/** CALL_EVENTS and how far behind the registry's durable consumer is. */
async function eventsFigures(nc: NatsConnection) {
  const jsm = await jetstreamManager(nc, { checkAPI: false });
  const [stream, consumer] = await Promise.all([
    jsm.streams.info(CALL_EVENTS_STREAM),
    jsm.consumers.info(CALL_EVENTS_STREAM, CALL_EVENTS_CONSUMER),
  ]);
  return {
    stream: { messages: stream.state.messages, lastSeq: stream.state.last_seq, bytes: stream.state.bytes },
    consumer: {
      name: CALL_EVENTS_CONSUMER,
      /** Stored events not delivered to the registry yet. */
      pending: consumer.num_pending,
      /** Delivered and not acknowledged yet. */
      ackPending: consumer.num_ack_pending,
      redelivered: consumer.num_redelivered,
      lastDelivered: consumer.delivered.stream_seq,
    },
  };
}
