import {
  envBoolean,
  envMilliseconds,
  envString,
  jetstreamEnv,
  type NatsSettings,
  natsEnv,
  parseEnv,
  serviceEnv,
  serviceSettings,
  TWILIO_TOKEN_REQUIRED,
} from '@switchboard/config';
import { GATEWAY_SERVICE_NAME, PhoneNumber } from '@switchboard/contracts';
import { z } from 'zod';

export const DEFAULT_PORT = 3000;
/** One registry request; the default of nats.js (1 s) is too tight for a loaded registry, 2 s too long to retry. */
export const DEFAULT_REGISTRY_TIMEOUT_MS = 1_500;
/** All the time `/twilio/voice` gives the registry, retries included, before it apologises. Twilio waits 15 s. */
export const DEFAULT_VOICE_BUDGET_MS = 3_000;
/** How long `/twilio/status` retries a JetStream publish before answering 503 so Twilio redelivers. */
export const DEFAULT_STATUS_PUBLISH_DEADLINE_MS = 5_000;
/** One request to Twilio's REST API. */
export const DEFAULT_TWILIO_TIMEOUT_MS = 10_000;
/**
 * How long the gateway keeps asking Twilio to start a call's recording while Twilio says the call is not in
 * progress yet (an inbound call is once Twilio runs the voice webhook's TwiML).
 */
export const DEFAULT_RECORDING_START_BUDGET_MS = 10_000;
/** On SIGTERM, how long requests in flight get before their connections are closed. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
/** How long a console sign-in lasts. */
export const DEFAULT_CONSOLE_SESSION_TTL_MS = 12 * 60 * 60_000;
/** All the time `/twilio/voice` gives placement (asking workers for a slot) before it falls back. */
export const DEFAULT_PLACEMENT_TIMEOUT_MS = 300;
/** `GET /api/events` streams one gateway serves at once (each holds a JetStream consumer). */
export const DEFAULT_CONSOLE_MAX_EVENT_STREAMS = 100;
/** Batch work messages one gateway handles at once. */
export const DEFAULT_BATCH_DISPATCH_CONCURRENCY = 16;
/** A batch work message unacknowledged this long goes to another replica (its holder is gone). */
export const DEFAULT_BATCH_ACK_WAIT_MS = 30_000;
/** A batch call left dialling this long by a gateway that went away, with no word from Twilio, is dialled again. */
export const DEFAULT_BATCH_DIAL_LEASE_MS = 60_000;
/** A batch call live this long without its final status is looked up at Twilio (its final callback lost). */
export const DEFAULT_BATCH_RECONCILE_AFTER_MS = 15 * 60_000;

/** A base URL without a trailing slash: `https://example.com` or `https://example.com/prefix`. */
const baseUrl = (schemes: string[]) =>
  z.url({ protocol: new RegExp(`^(${schemes.join('|')})$`) }).transform((v) => v.replace(/\/+$/, ''));

const EnvSchema = z
  .object({
    ...serviceEnv(DEFAULT_PORT),
    ...natsEnv,
    ...jetstreamEnv,
    PUBLIC_BASE_URL: baseUrl(['https', 'http']),
    MEDIA_STREAM_URL: envString.pipe(z.url({ protocol: /^(wss|ws)$/ }).optional()),
    PLACEMENT_TIMEOUT_MS: envMilliseconds(DEFAULT_PLACEMENT_TIMEOUT_MS),
    TWILIO_AUTH_TOKEN: envString,
    TWILIO_SKIP_SIGNATURE: envBoolean,
    TWILIO_ACCOUNT_SID: envString.pipe(
      z
        .string()
        .regex(/^AC[0-9a-fA-F]{32}$/, 'TWILIO_ACCOUNT_SID is AC followed by 32 hex digits')
        .optional(),
    ),
    TWILIO_FROM_NUMBER: envString.pipe(PhoneNumber.optional()),
    TWILIO_API_BASE_URL: envString.pipe(baseUrl(['https', 'http']).optional()),
    TWILIO_TIMEOUT_MS: envMilliseconds(DEFAULT_TWILIO_TIMEOUT_MS),
    API_KEYS: z
      .string()
      .optional()
      .transform((v) =>
        (v ?? '')
          .split(',')
          .map((k) => k.trim())
          .filter((k) => k.length > 0),
      ),
    REGISTRY_TIMEOUT_MS: envMilliseconds(DEFAULT_REGISTRY_TIMEOUT_MS),
    VOICE_BUDGET_MS: envMilliseconds(DEFAULT_VOICE_BUDGET_MS),
    STATUS_PUBLISH_DEADLINE_MS: envMilliseconds(DEFAULT_STATUS_PUBLISH_DEADLINE_MS),
    RECORDING_START_BUDGET_MS: envMilliseconds(DEFAULT_RECORDING_START_BUDGET_MS),
    SHUTDOWN_TIMEOUT_MS: envMilliseconds(DEFAULT_SHUTDOWN_TIMEOUT_MS),
    CONSOLE_SESSION_TTL_MS: envMilliseconds(DEFAULT_CONSOLE_SESSION_TTL_MS),
    CONSOLE_MAX_EVENT_STREAMS: z.coerce
      .number()
      .int()
      .min(1)
      .max(10_000)
      .default(DEFAULT_CONSOLE_MAX_EVENT_STREAMS),
    BATCH_DISPATCH_CONCURRENCY: z.coerce
      .number()
      .int()
      .min(1)
      .max(256)
      .default(DEFAULT_BATCH_DISPATCH_CONCURRENCY),
    BATCH_ACK_WAIT_MS: envMilliseconds(DEFAULT_BATCH_ACK_WAIT_MS),
    BATCH_DIAL_LEASE_MS: envMilliseconds(DEFAULT_BATCH_DIAL_LEASE_MS),
    BATCH_RECONCILE_AFTER_MS: envMilliseconds(DEFAULT_BATCH_RECONCILE_AFTER_MS),
    WEBHOOK_ALLOW_PRIVATE_URLS: envBoolean,
  })
  .refine(...TWILIO_TOKEN_REQUIRED)
  .refine((e) => e.BATCH_DIAL_LEASE_MS > e.TWILIO_TIMEOUT_MS + e.VOICE_BUDGET_MS, {
    path: ['BATCH_DIAL_LEASE_MS'],
    message:
      'BATCH_DIAL_LEASE_MS must exceed TWILIO_TIMEOUT_MS + VOICE_BUDGET_MS (a dial and its registration)',
  })
  .refine((e) => e.BATCH_DIAL_LEASE_MS >= 1_000 && e.BATCH_DIAL_LEASE_MS <= 600_000, {
    path: ['BATCH_DIAL_LEASE_MS'],
    message: 'BATCH_DIAL_LEASE_MS is 1000–600000',
  });

/** Every environment variable the gateway reads. */
export const SETTINGS: readonly string[] = Object.keys(EnvSchema.shape);

export interface TwilioConfig {
  /** Checks `X-Twilio-Signature` and authenticates REST calls (with the account SID). */
  authToken: string | undefined;
  skipSignature: boolean;
  accountSid: string | undefined;
  /** Default caller id of outbound calls. */
  fromNumber: string | undefined;
  /** Replaces `https://api.twilio.com` (sandboxes, tests). */
  apiBaseUrl: string | undefined;
  timeoutMs: number;
}

export interface GatewayConfig {
  port: number;
  host: string;
  logLevel: string;
  nats: NatsSettings;
  /** Where Twilio reaches this gateway, without a trailing slash; signatures are computed over it. */
  publicBaseUrl: string;
  /**
   * The media workers' `wss://` URL as Twilio reaches it (a load balancer): where calls go that no worker
   * reserved a slot for. Undefined: those calls hear the apology.
   */
  mediaStreamUrl: string | undefined;
  placementTimeoutMs: number;
  twilio: TwilioConfig;
  apiKeys: readonly string[];
  registryTimeoutMs: number;
  voiceBudgetMs: number;
  statusPublishDeadlineMs: number;
  recordingStartBudgetMs: number;
  shutdownTimeoutMs: number;
  console: {
    sessionTtlMs: number;
    maxEventStreams: number;
  };
  batches: {
    /** Replicas of the CALL_BATCH_WORK stream and its consumer (`JETSTREAM_REPLICAS`). */
    replicas: number;
    dispatchConcurrency: number;
    ackWaitMs: number;
    dialLeaseMs: number;
    reconcileAfterMs: number;
  };
  /** Webhook URLs on loopback, private or link-local addresses may be subscribed (tests, local setups). */
  webhookAllowPrivateUrls: boolean;
}

export { ConfigError } from '@switchboard/config';

/** Reads the gateway's settings from an environment (`process.env` in main.ts), or throws ConfigError. */
export function loadConfig(env: Record<string, string | undefined>): GatewayConfig {
  const e = parseEnv(EnvSchema, env, GATEWAY_SERVICE_NAME);
  return {
    ...serviceSettings(e),
    publicBaseUrl: e.PUBLIC_BASE_URL,
    mediaStreamUrl: e.MEDIA_STREAM_URL,
    placementTimeoutMs: e.PLACEMENT_TIMEOUT_MS,
    twilio: {
      authToken: e.TWILIO_AUTH_TOKEN,
      skipSignature: e.TWILIO_SKIP_SIGNATURE,
      accountSid: e.TWILIO_ACCOUNT_SID,
      fromNumber: e.TWILIO_FROM_NUMBER,
      apiBaseUrl: e.TWILIO_API_BASE_URL,
      timeoutMs: e.TWILIO_TIMEOUT_MS,
    },
    apiKeys: e.API_KEYS,
    registryTimeoutMs: e.REGISTRY_TIMEOUT_MS,
    voiceBudgetMs: e.VOICE_BUDGET_MS,
    statusPublishDeadlineMs: e.STATUS_PUBLISH_DEADLINE_MS,
    recordingStartBudgetMs: e.RECORDING_START_BUDGET_MS,
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
    console: { sessionTtlMs: e.CONSOLE_SESSION_TTL_MS, maxEventStreams: e.CONSOLE_MAX_EVENT_STREAMS },
    batches: {
      replicas: e.JETSTREAM_REPLICAS,
      dispatchConcurrency: e.BATCH_DISPATCH_CONCURRENCY,
      ackWaitMs: e.BATCH_ACK_WAIT_MS,
      dialLeaseMs: e.BATCH_DIAL_LEASE_MS,
      reconcileAfterMs: e.BATCH_RECONCILE_AFTER_MS,
    },
    webhookAllowPrivateUrls: e.WEBHOOK_ALLOW_PRIVATE_URLS,
  };
}
