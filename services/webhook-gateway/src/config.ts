import { DEFAULT_NATS_URL } from '@switchboard/bus';
import { PhoneNumber } from '@switchboard/contracts';
import { z } from 'zod';

export const DEFAULT_PORT = 3000;
export const DEFAULT_HOST = '127.0.0.1';
/** One registry request; the default of nats.js (1 s) is too tight for a loaded registry, 2 s too long to retry. */
export const DEFAULT_REGISTRY_TIMEOUT_MS = 1_500;
/** All the time `/twilio/voice` gives the registry, retries included, before it apologises. Twilio waits 15 s. */
export const DEFAULT_VOICE_BUDGET_MS = 3_000;
/** How long `/twilio/status` retries a JetStream publish before answering 503 so Twilio redelivers. */
export const DEFAULT_STATUS_PUBLISH_DEADLINE_MS = 5_000;
/** One request to Twilio's REST API. */
export const DEFAULT_TWILIO_TIMEOUT_MS = 10_000;
/** On SIGTERM, how long requests in flight get before their connections are closed. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 10_000;
export const DEFAULT_LOG_LEVEL = 'info';

const boolean = z
  .enum(['true', 'false', '1', '0', ''])
  .optional()
  .transform((v) => v === 'true' || v === '1');
const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const milliseconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);
/** A base URL without a trailing slash: `https://example.com` or `https://example.com/prefix`. */
const baseUrl = (schemes: string[]) =>
  z.url({ protocol: new RegExp(`^(${schemes.join('|')})$`) }).transform((v) => v.replace(/\/+$/, ''));

const EnvSchema = z
  .object({
    PORT: z.coerce.number().int().min(0).max(65_535).default(DEFAULT_PORT),
    HOST: z.string().min(1).default(DEFAULT_HOST),
    LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default(DEFAULT_LOG_LEVEL),
    NATS_URL: z.string().min(1).default(DEFAULT_NATS_URL),
    NATS_USER: optionalString,
    NATS_PASSWORD: optionalString,
    NATS_CREDS: optionalString,
    PUBLIC_BASE_URL: baseUrl(['https', 'http']),
    MEDIA_STREAM_URL: z.url({ protocol: /^(wss|ws)$/ }),
    TWILIO_AUTH_TOKEN: optionalString,
    TWILIO_SKIP_SIGNATURE: boolean,
    TWILIO_ACCOUNT_SID: optionalString.pipe(
      z
        .string()
        .regex(/^AC[0-9a-fA-F]{32}$/, 'TWILIO_ACCOUNT_SID is AC followed by 32 hex digits')
        .optional(),
    ),
    TWILIO_FROM_NUMBER: optionalString.pipe(PhoneNumber.optional()),
    TWILIO_API_BASE_URL: optionalString.pipe(baseUrl(['https', 'http']).optional()),
    TWILIO_TIMEOUT_MS: milliseconds(DEFAULT_TWILIO_TIMEOUT_MS),
    API_KEYS: z
      .string()
      .optional()
      .transform((v) =>
        (v ?? '')
          .split(',')
          .map((k) => k.trim())
          .filter((k) => k.length > 0),
      ),
    REGISTRY_TIMEOUT_MS: milliseconds(DEFAULT_REGISTRY_TIMEOUT_MS),
    VOICE_BUDGET_MS: milliseconds(DEFAULT_VOICE_BUDGET_MS),
    STATUS_PUBLISH_DEADLINE_MS: milliseconds(DEFAULT_STATUS_PUBLISH_DEADLINE_MS),
    SHUTDOWN_TIMEOUT_MS: milliseconds(DEFAULT_SHUTDOWN_TIMEOUT_MS),
  })
  .refine((env) => env.TWILIO_AUTH_TOKEN !== undefined || env.TWILIO_SKIP_SIGNATURE, {
    message:
      'TWILIO_AUTH_TOKEN is required to check Twilio signatures (set TWILIO_SKIP_SIGNATURE=true to run without, never in production)',
    path: ['TWILIO_AUTH_TOKEN'],
  });

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
  nats: {
    url: string;
    user: string | undefined;
    password: string | undefined;
    credsFile: string | undefined;
  };
  /** Where Twilio reaches this gateway, without a trailing slash; signatures are computed over it. */
  publicBaseUrl: string;
  /** The media worker's `wss://` URL as Twilio reaches it. */
  mediaStreamUrl: string;
  twilio: TwilioConfig;
  apiKeys: readonly string[];
  registryTimeoutMs: number;
  voiceBudgetMs: number;
  statusPublishDeadlineMs: number;
  shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Reads the gateway's settings from an environment (`process.env` in main.ts), or throws ConfigError. */
export function loadConfig(env: Record<string, string | undefined>): GatewayConfig {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    nats: { url: e.NATS_URL, user: e.NATS_USER, password: e.NATS_PASSWORD, credsFile: e.NATS_CREDS },
    publicBaseUrl: e.PUBLIC_BASE_URL,
    mediaStreamUrl: e.MEDIA_STREAM_URL,
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
    shutdownTimeoutMs: e.SHUTDOWN_TIMEOUT_MS,
  };
}
