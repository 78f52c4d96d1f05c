import {
  JetStreamApiCodes,
  JetStreamApiError,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
  type StreamInfo,
} from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/nats-core';
import { DEFAULT_JETSTREAM_REPLICAS } from '@switchboard/config';
import { CALL_EVENTS_STREAM, CALL_EVENTS_SUBJECTS } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { backoffPauses, type RetryPauses, withRetry } from './retry.js';

/** Publishes with the same `Nats-Msg-Id` inside this window are stored once. */
export const DUPLICATE_WINDOW_MS = 10 * 60_000;

/**
 * How long a service's start keeps asking JetStream to set up its streams and consumers while JetStream cannot
 * answer yet: a cluster that is starting or electing leaders (timeouts, no responders, 503 "temporarily
 * unavailable"). Other refusals (a setting JetStream rejects) fail the start at once.
 */
export const JETSTREAM_SETUP_BUDGET_MS = 30_000;
const SETUP_PAUSES = backoffPauses(250, 2_000);

/** Only errors that say "not now" are worth another try: not an answer of JetStream's that refuses the request. */
const setupPauses: RetryPauses = (error, attempt) =>
  error instanceof JetStreamApiError && error.status !== 503 ? undefined : SETUP_PAUSES(error, attempt);

/** Runs a JetStream set-up step (`ensureStream`, a consumer's creation), again while JetStream settles. */
export function whileJetStreamSettles<T>(what: string, step: () => Promise<T>, log?: Logger): Promise<T> {
  return withRetry(() => step(), {
    budgetMs: JETSTREAM_SETUP_BUDGET_MS,
    attemptTimeoutMs: JETSTREAM_SETUP_BUDGET_MS,
    pauses: setupPauses,
    onRetry: (err, attempt) => log?.warn({ err, attempt, what }, 'JetStream not answering yet, asking again'),
  });
}

/** What a stream of ours is (name, subjects, how it keeps messages); its replicas come from the settings. */
export type StreamDefinition = Partial<Omit<StreamConfig, 'num_replicas'>> & { name: string };

export interface EnsureStreamOptions {
  /** `JETSTREAM_REPLICAS`: 1 on a single server, 3 in a three-node cluster. */
  replicas?: number;
  log?: Logger;
}

/**
 * Creates a stream, or brings an existing one to `definition` and `replicas` in place (JetStream moves its
 * data to the new replica set itself). Changes nothing when the stream is as wanted, so it is safe to run from
 * every replica of a service at every start.
 */
export function ensureStream(
  nc: NatsConnection,
  definition: StreamDefinition,
  options: EnsureStreamOptions = {},
): Promise<StreamInfo> {
  return whileJetStreamSettles(
    `stream ${definition.name}`,
    () => ensureOnce(nc, definition, options),
    options.log,
  );
}

async function ensureOnce(
  nc: NatsConnection,
  definition: StreamDefinition,
  { replicas = DEFAULT_JETSTREAM_REPLICAS, log }: EnsureStreamOptions,
): Promise<StreamInfo> {
  const jsm = await jetstreamManager(nc);
  const wanted: Partial<StreamConfig> & { name: string } = { ...definition, num_replicas: replicas };
  const existing = await jsm.streams.info(definition.name).catch((err: unknown) => {
    if (isStreamNotFound(err)) return undefined;
    throw err;
  });
  if (!existing) {
    // Two replicas starting at once may both get here: JetStream creates a stream once, and the same create
    // again (same config) answers with the stream as it is.
    return jsm.streams.add(wanted);
  }
  const changed = changedSettings(existing.config, wanted);
  if (changed.length === 0) return existing;
  log?.info({ stream: definition.name, changed }, 'stream settings updated');
  return jsm.streams.update(definition.name, wanted);
}

/** The names of the settings in `wanted` that `current` (a stream's or a consumer's config) does not have. */
export function changedSettings<T extends object>(current: Partial<T>, wanted: Partial<T>): string[] {
  return Object.entries(wanted)
    .filter(([key, value]) => JSON.stringify(current[key as keyof T]) !== JSON.stringify(value))
    .map(([key]) => key);
}

/** The CALL_EVENTS stream: every call event, kept on file, a retried publish stored once. */
export const CALL_EVENTS_DEFINITION: StreamDefinition = {
  name: CALL_EVENTS_STREAM,
  subjects: [CALL_EVENTS_SUBJECTS],
  storage: StorageType.File,
  retention: RetentionPolicy.Limits,
  duplicate_window: DUPLICATE_WINDOW_MS * 1_000_000,
};

/** Creates the CALL_EVENTS stream, or brings an existing one's settings up to date. Safe to run from every replica. */
export function ensureCallEventsStream(
  nc: NatsConnection,
  options: EnsureStreamOptions = {},
): Promise<StreamInfo> {
  return ensureStream(nc, CALL_EVENTS_DEFINITION, options);
}

/** JetStream's own answer for a stream that does not exist (nats.js throws it as a `StreamNotFoundError`). */
function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}
