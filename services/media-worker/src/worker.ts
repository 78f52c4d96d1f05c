import type { AddressInfo } from 'node:net';
import type { NatsConnection } from '@nats-io/nats-core';
import {
  connectBus,
  connectionState,
  EventPublisher,
  registryClient,
  watchAgentChanges,
} from '@switchboard/bus';
import { inboxPrefixFor, WORKER_SERVICE_NAME } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { WebSocket } from 'ws';
import type { BridgeOptions } from './bridge/call-bridge.js';
import type { WorkerConfig } from './config.js';
import { DEFAULT_OUTBOX_OPTIONS, EventOutbox } from './event-outbox.js';
import { LiveCalls } from './live-calls.js';
import { MediaSession } from './media-session.js';
import { createMetrics } from './metrics.js';
import { Announcer } from './placement/announcer.js';
import type { ReservationHooks } from './placement/reservation-hooks.js';
import { serveReservations } from './placement/reserve-subject.js';
import { SlotBook } from './placement/slot-book.js';
import { WorkerSlots } from './placement/worker-slots.js';
import { createMediaServer } from './server.js';
import { ToolClient } from './tools/tool-client.js';
import { TWILIO_CLOSE_GRACE_MS } from './twilio-socket.js';
import { KeptGreetings } from './warm/kept-greetings.js';
import { WarmSessions } from './warm/warm-sessions.js';

/** On close, how long call events still waiting for JetStream get. */
export const EVENTS_FLUSH_TIMEOUT_MS = 5_000;

export interface WorkerDeps {
  config: WorkerConfig;
  log: Logger;
  /** A connection to use instead of dialling `config.nats`; the worker leaves it open on close. */
  nc?: NatsConnection;
}

export interface Worker {
  /** Where `/media-stream`, `/healthz`, `/readyz` and `/metrics` are served. */
  port: number;
  /** `WORKER_ID`, or the random id this process took. */
  readonly workerId: string;
  /** Media streams open right now. */
  readonly liveStreams: number;
  /**
   * What a reservation tells the worker (prepare the call's Realtime session, drop it), as its
   * `worker.reserve` handler does; tests and `pnpm bench placement` may call these directly.
   */
  readonly reservations: ReservationHooks;
  /** Realtime sessions prepared for reserved calls whose streams have not arrived. */
  readonly preparedSessions: number;
  /** Agents' greetings kept (KEEP_GREETING_AUDIO). */
  readonly keptGreetings: number;
  /**
   * Stops taking new streams (`/readyz` and upgrades answer 503) and waits for live calls to end, up to
   * `DRAIN_TIMEOUT_MS`; then closes those still open.
   */
  drain(): Promise<void>;
  /** Closes every stream now, the server, and (if it dialled it) the NATS connection. */
  close(): Promise<void>;
}

/** Builds and starts the media worker: Twilio Media Streams in, OpenAI Realtime out. */
export async function startWorker({ config, log: baseLog, nc: givenNc }: WorkerDeps): Promise<Worker> {
  const { workerId, mediaUrl, reservationTtlMs } = config.placement;
  const log = baseLog.child({ workerId });
  const nc =
    givenNc ??
    (await connectBus({
      ...config.nats,
      name: WORKER_SERVICE_NAME,
      inboxPrefix: inboxPrefixFor(WORKER_SERVICE_NAME),
      log,
    }));
  const streams = new Map<WebSocket, MediaSession>();
  const metrics = createMetrics(() => streams.size);
  const outbox = new EventOutbox(new EventPublisher(nc, log), log, {
    ...DEFAULT_OUTBOX_OPTIONS,
    onDrop: () => metrics.eventsDropped.inc(),
  });
  const calls = new LiveCalls<MediaSession>();
  const registry = registryClient(nc, { timeoutMs: config.lookupTimeoutMs });
  const tools = new ToolClient({ ...config.tools, log });
  const io = { nc, registry, tools, metrics, lookupTimeoutMs: config.lookupTimeoutMs };
  const greetings = config.keepGreetingAudio ? new KeptGreetings(metrics) : undefined;
  const bridge = { ...bridgeOptionsFor(config), greetings };
  const { realtimeUrl: url, apiKey, transcriptionModel } = config.openai;
  // What a reservation tells the worker: prepare the call's Realtime session while the phone rings.
  const prepared = new WarmSessions({
    endpoint: { url, apiKey },
    transcriptionModel,
    streamStartTimeoutMs: config.streamStartTimeoutMs,
    maxPrepared: config.maxConcurrentCalls,
    log,
    metrics,
  });
  const warm = { sessions: prepared, greetings };
  const stopWatchingAgents = watchAgentChanges(nc, log, {
    changed: (id) => {
      prepared.agentChanged(id);
      greetings?.forget(id);
    },
    unknown: () => {
      prepared.agentsChanged();
      greetings?.forgetAll();
    },
  });
  const slots = new WorkerSlots(
    new SlotBook(config.maxConcurrentCalls, reservationTtlMs),
    prepared,
    log,
    (outcome) => metrics.reservations.inc({ outcome }),
  );
  let accepting = true;
  const nats = connectionState(nc);

  let emptied: (() => void) | undefined;
  const server = createMediaServer({
    config,
    log,
    metrics,
    promRegistry: metrics.promRegistry,
    accepting: () => accepting,
    ready: () => nats.connected,
    liveStreams: () => streams.size,
    onStream: (ws, tcp) => {
      const session = new MediaSession(ws, tcp, {
        config,
        bridge,
        io,
        log,
        outbox,
        metrics,
        calls,
        warm,
        slots,
      });
      streams.set(ws, session);
      ws.once('close', () => {
        streams.delete(ws);
        if (streams.size === 0) emptied?.();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  // Reservations only for a worker Twilio can reach by its own URL; every worker announces (the lease).
  const reservations = mediaUrl === null ? undefined : serveReservations(nc, workerId, mediaUrl, slots, log);
  const announcer = new Announcer({
    nc,
    workerId,
    mediaUrl,
    log,
    load: () => ({
      live: slots.live,
      reserved: slots.reserved,
      capacity: slots.capacity,
      draining: !accepting,
    }),
  });
  log.info({ port, host: config.host, mediaUrl }, 'media worker listening');

  /** No new streams or reservations from now on; gateways hear it at once. */
  const stopAccepting = () => {
    accepting = false;
    slots.drain();
    announcer.now();
  };

  /** Resolves when no stream is left, or after `ms`. */
  const whenEmpty = (ms: number) =>
    new Promise<void>((resolve) => {
      if (streams.size === 0) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        emptied = undefined;
        resolve();
      }
      emptied = done;
    });

  const closeStreams = async () => {
    for (const session of streams.values()) session.shutDown();
    await whenEmpty(TWILIO_CLOSE_GRACE_MS + 500);
  };

  let closing: Promise<void> | undefined;
  return {
    port,
    workerId,
    get liveStreams() {
      return streams.size;
    },
    reservations: prepared,
    get preparedSessions() {
      return prepared.size;
    },
    get keptGreetings() {
      return greetings?.size ?? 0;
    },
    async drain() {
      if (accepting) log.info({ liveStreams: streams.size, timeoutMs: config.drainTimeoutMs }, 'draining');
      stopAccepting();
      await whenEmpty(config.drainTimeoutMs);
      if (streams.size > 0) log.warn({ liveStreams: streams.size }, 'drain time over: closing live streams');
      await closeStreams();
    },
    close() {
      closing ??= (async () => {
        stopAccepting();
        reservations?.unsubscribe();
        stopWatchingAgents();
        prepared.close();
        await closeStreams();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await outbox.flush(EVENTS_FLUSH_TIMEOUT_MS);
        announcer.stop();
        slots.close();
        if (!givenNc) await nc.close();
        log.info('media worker closed');
      })();
      return closing;
    },
  };
}

/** The call bridge's settings, from the worker's. */
export function bridgeOptionsFor(config: WorkerConfig): BridgeOptions {
  return {
    defaultModel: config.openai.defaultModel,
    transcriptionModel: config.openai.transcriptionModel,
    streamStartTimeoutMs: config.streamStartTimeoutMs,
    sessionReadyTimeoutMs: config.realtimeConnectTimeoutMs,
    sessionMaxMs: config.realtimeSessionMaxMs,
    maxHeldAudioMs: config.maxHeldAudioMs,
    toolFillerAfterMs: config.tools.fillerAfterMs,
    workerId: config.placement.workerId,
  };
}
