import type { Server } from 'node:http';
import type { NatsConnection } from '@nats-io/nats-core';
import { connectBus, EventPublisher, ensureCallEventsStream, ServiceHost } from '@switchboard/bus';
import { inboxPrefixFor, REGISTRY_SERVICE_NAME, WEBHOOKS_CHANGED_SUBJECT } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { startHealthServer } from '@switchboard/process';
import { AgentCache } from './agents/agent-cache.js';
import { AgentChanges } from './agents/agent-changes.js';
import { BatchLoader } from './calls/batch-loader.js';
import { findCallsBySids } from './calls/call-store.js';
import { LookupLanes } from './calls/lookup-lanes.js';
import type { RegistryConfig } from './config.js';
import { migrate } from './db/migrate.js';
import { createPool, poolFigures, warmPool } from './db/pool.js';
import { createPrisma } from './db/prisma.js';
import { addEndpoints } from './endpoints.js';
import { applyEvent } from './events/apply-event.js';
import { EventConsumer } from './events/event-consumer.js';
import { createMetrics } from './metrics.js';
import { WorkerWatch } from './workers/worker-watch.js';

export const SERVICE_VERSION = '0.1.0';
/** callSids in one batched lookup query. */
export const LOOKUP_MAX_BATCH = 256;
/**
 * callSids per batch at least when the lookups waiting are spread over the batches free to start: 64 waiting
 * go out as two batches of 32 that overlap (PostgreSQL on one, the registry encoding the other), not as one
 * convoy (test/bench/README.md).
 */
export const LOOKUP_MIN_BATCH = 32;
/** Batched lookup queries running at once; more lookups wait and join the next batch. */
export const LOOKUP_MAX_IN_FLIGHT = 4;
/** A lookup connection unused this long goes back to the pool. */
export const LOOKUP_LANE_IDLE_MS = 1_000;
/** How long `/readyz` and `registry.health` wait for the database to answer `SELECT 1`. */
export const DB_CHECK_TIMEOUT_MS = 1_000;

export interface RegistryDeps {
  config: RegistryConfig;
  log: Logger;
  /** A connection to use instead of dialling `config.nats`; the registry leaves it open on close. */
  nc?: NatsConnection;
}

export interface Registry {
  /** The port of `/healthz`, `/readyz`, `/metrics`. */
  httpPort: number;
  nc: NatsConnection;
  /** Stops taking requests, answers those in flight, stops the consumer, closes the pool. */
  close(): Promise<void>;
}

/** Builds and starts the call-registry: the one owner of the PostgreSQL pool. */
export async function startRegistry({ config, log, nc: givenNc }: RegistryDeps): Promise<Registry> {
  if (config.migrateOnStart) await migrate(config.db.connectionString, log);

  const pool = createPool(config.db, log);
  // Half the pool at most, so that lookups never keep the other endpoints and the event consumer waiting.
  const lanes = new LookupLanes(pool, {
    maxHeld: Math.min(LOOKUP_MAX_IN_FLIGHT, Math.floor(config.db.max / 2)),
    idleReleaseMs: LOOKUP_LANE_IDLE_MS,
  });
  const figures = () => poolFigures(pool, config.db.max, lanes.idleCount);
  await warmPool(pool, config.db.min);
  const prisma = createPrisma(pool);
  const metrics = createMetrics(figures);

  const nc =
    givenNc ??
    (await connectBus({
      ...config.nats,
      name: REGISTRY_SERVICE_NAME,
      inboxPrefix: inboxPrefixFor(REGISTRY_SERVICE_NAME),
      log,
    }));
  await ensureCallEventsStream(nc, { replicas: config.jetstreamReplicas, log });

  const agents = new AgentCache(pool);
  const lookups = new BatchLoader<string, string>(
    (sids) => findCallsBySids(lanes, agents, sids),
    { maxBatch: LOOKUP_MAX_BATCH, minBatch: LOOKUP_MIN_BATCH, maxInFlight: LOOKUP_MAX_IN_FLIGHT },
    (size) => metrics.lookupBatchSize.observe(size),
  );
  // Listening before serving: no lookup is answered by a replica that could miss an agent's change.
  const agentChanges = AgentChanges.start({
    nc,
    log,
    forget: (id) => {
      agents.invalidate(id);
      lookups.forgetAll();
    },
    forgetAll: () => {
      agents.clear();
      lookups.forgetAll();
    },
  });
  const databaseAnswers = () => checkDatabase(pool);

  const host = await ServiceHost.start(
    nc,
    { name: REGISTRY_SERVICE_NAME, version: SERVICE_VERSION, description: 'Calls, agents and transcripts' },
    {
      log,
      observe: (endpoint, outcome, ms) => metrics.observeRequest(endpoint, outcome, ms / 1000),
    },
  );
  addEndpoints(host, {
    pool,
    prisma,
    lookups,
    poolFigures: figures,
    databaseAnswers,
    agentWritten: (id) => agentChanges.announce(id),
    // The notifiers reload their subscriptions (core NATS: they also reload on a reconnect and periodically).
    webhookWritten: (id) => nc.publish(WEBHOOKS_CHANGED_SUBJECT, JSON.stringify({ id })),
  });

  const workers = new WorkerWatch({
    nc,
    pool,
    events: new EventPublisher(nc, log),
    log,
    ended: (callSids) => {
      metrics.workerLostCalls.inc(callSids.length);
      for (const callSid of callSids) lookups.forget(callSid);
    },
  });
  await workers.start();

  const consumer = new EventConsumer({
    nc,
    log,
    replicas: config.jetstreamReplicas,
    apply: async (msgId, event) => {
      const outcome = await applyEvent(pool, msgId, event);
      lookups.forget(event.callSid);
      if (event.kind === 'stream' && event.action === 'started' && event.workerId !== undefined)
        workers.streamOn(event.workerId);
      return outcome;
    },
    observe: (kind, outcome) => metrics.events.inc({ kind, outcome }),
  });
  await consumer.start();

  const http = await startHealthServer(
    { ready: async () => !nc.isClosed() && (await databaseAnswers()), promRegistry: metrics.promRegistry },
    config.http,
  );
  const poolLog =
    config.poolLogIntervalMs > 0
      ? setInterval(() => log.debug(figures(), 'pool status'), config.poolLogIntervalMs).unref()
      : undefined;

  log.info({ port: http.port, pool: figures() }, 'call-registry started');

  let closing: Promise<void> | undefined;
  const close = () => {
    closing ??= (async () => {
      await host.drain();
      await consumer.stop();
      await workers.stop();
      agentChanges.stop();
      lanes.close();
      clearInterval(poolLog);
      await closeServer(http.server);
      await prisma.$disconnect();
      await pool.end();
      if (!givenNc) await nc.drain();
      log.info('call-registry stopped');
    })();
    return closing;
  };
  return { httpPort: http.port, nc, close };
}

async function checkDatabase(pool: import('pg').Pool): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), DB_CHECK_TIMEOUT_MS);
  });
  const check = pool.query('SELECT 1').then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([check, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
