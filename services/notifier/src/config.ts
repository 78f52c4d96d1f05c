import {
  envBoolean,
  envMilliseconds,
  jetstreamEnv,
  type NatsSettings,
  natsEnv,
  parseEnv,
  serviceEnv,
  serviceSettings,
} from '@switchboard/config';
import { NOTIFIER_SERVICE_NAME } from '@switchboard/contracts';
import { z } from 'zod';

export const DEFAULT_PORT = 3003;
/** SPEC: no answer within 10 s is a failed attempt. */
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;
/** SPEC: retried for at least 24 hours, counted from when the delivery was queued. */
export const DEFAULT_RETRY_BUDGET_MS = 24 * 60 * 60_000;
/** How long JetStream waits for a delivery's or an event's acknowledgement before giving it to another replica. */
export const DEFAULT_ACK_WAIT_MS = 30_000;
/** How long after a recorded call ends its `call.ended` waits for Twilio's recording. */
export const DEFAULT_RECORDING_WAIT_MS = 120_000;
/** HTTP attempts one replica makes at once. */
export const DEFAULT_MAX_CONCURRENCY = 256;
/** One registry request. */
export const DEFAULT_REGISTRY_TIMEOUT_MS = 2_000;

const EnvSchema = z
  .object({
    ...serviceEnv(DEFAULT_PORT),
    ...natsEnv,
    ...jetstreamEnv,
    WEBHOOK_ALLOW_PRIVATE_URLS: envBoolean,
    WEBHOOK_ATTEMPT_TIMEOUT_MS: envMilliseconds(DEFAULT_ATTEMPT_TIMEOUT_MS),
    WEBHOOK_RETRY_BUDGET_MS: envMilliseconds(DEFAULT_RETRY_BUDGET_MS),
    WEBHOOK_RECORDING_WAIT_MS: envMilliseconds(DEFAULT_RECORDING_WAIT_MS),
    NOTIFIER_ACK_WAIT_MS: envMilliseconds(DEFAULT_ACK_WAIT_MS),
    NOTIFIER_MAX_CONCURRENCY: z.coerce.number().int().min(1).max(10_000).default(DEFAULT_MAX_CONCURRENCY),
    REGISTRY_TIMEOUT_MS: envMilliseconds(DEFAULT_REGISTRY_TIMEOUT_MS),
  })
  .refine((e) => e.NOTIFIER_ACK_WAIT_MS > e.WEBHOOK_ATTEMPT_TIMEOUT_MS * 2, {
    message: 'NOTIFIER_ACK_WAIT_MS must be more than twice WEBHOOK_ATTEMPT_TIMEOUT_MS',
    path: ['NOTIFIER_ACK_WAIT_MS'],
  });

/** Every environment variable the notifier reads. */
export const SETTINGS: readonly string[] = Object.keys(EnvSchema.shape);

export interface NotifierConfig {
  port: number;
  host: string;
  logLevel: string;
  nats: NatsSettings;
  /** Replicas of WEBHOOK_DELIVERIES and of the notifier's consumers (`JETSTREAM_REPLICAS`). */
  jetstreamReplicas: number;
  /** Deliver to loopback, private and link-local addresses too (tests, local setups). */
  allowPrivateUrls: boolean;
  attemptTimeoutMs: number;
  retryBudgetMs: number;
  /** A recorded call's `call.ended` waits this long after the call's end for its recording. */
  recordingWaitMs: number;
  ackWaitMs: number;
  maxConcurrency: number;
  registryTimeoutMs: number;
}

export { ConfigError } from '@switchboard/config';

/** Reads the notifier's settings from an environment (`process.env` in main.ts), or throws ConfigError. */
export function loadConfig(env: Record<string, string | undefined>): NotifierConfig {
  const e = parseEnv(EnvSchema, env, NOTIFIER_SERVICE_NAME);
  return {
    ...serviceSettings(e),
    jetstreamReplicas: e.JETSTREAM_REPLICAS,
    allowPrivateUrls: e.WEBHOOK_ALLOW_PRIVATE_URLS,
    attemptTimeoutMs: e.WEBHOOK_ATTEMPT_TIMEOUT_MS,
    retryBudgetMs: e.WEBHOOK_RETRY_BUDGET_MS,
    recordingWaitMs: e.WEBHOOK_RECORDING_WAIT_MS,
    ackWaitMs: e.NOTIFIER_ACK_WAIT_MS,
    maxConcurrency: e.NOTIFIER_MAX_CONCURRENCY,
    registryTimeoutMs: e.REGISTRY_TIMEOUT_MS,
  };
}
