import { z } from 'zod';

/**
 * The pieces every service's `config.ts` parses its environment with, so that the same setting reads the
 * same way everywhere: `PORT`, `HOST`, `LOG_LEVEL`, the `NATS_*` connection, booleans, durations.
 */

export const DEFAULT_HOST = '127.0.0.1';
/** Where NATS is unless `NATS_URL` says otherwise: nats-server's own default address. */
export const DEFAULT_NATS_URL = 'nats://127.0.0.1:4222';
export const DEFAULT_LOG_LEVEL = 'info';
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** `true`/`1`/`yes` or `false`/`0`/`no`; unset or empty is `fallback`. */
export const envFlag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
    .optional()
    .transform((v) => (v === undefined || v === '' ? fallback : v === 'true' || v === '1' || v === 'yes'));

/** A flag that is off unless set. */
export const envBoolean = envFlag(false);

/** A string setting; unset, empty or blank is undefined. */
export const envString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

/** A duration in milliseconds, with its default. */
export const envMilliseconds = (fallback: number) => z.coerce.number().int().positive().default(fallback);

/** `PORT` (0 picks a free one, for tests), `HOST`, `LOG_LEVEL`. */
export function serviceEnv(defaultPort: number) {
  return {
    PORT: z.coerce.number().int().min(0).max(65_535).default(defaultPort),
    HOST: z.string().min(1).default(DEFAULT_HOST),
    LOG_LEVEL: z.enum(LOG_LEVELS).default(DEFAULT_LOG_LEVEL),
  };
}

/** `NATS_URL` (comma-separated for a cluster), `NATS_USER`/`NATS_PASSWORD` or `NATS_CREDS`. */
export const natsEnv = {
  NATS_URL: z
    .string()
    .default(DEFAULT_NATS_URL)
    .refine((url) => natsServers(url).length > 0, 'lists no server'),
  NATS_USER: envString,
  NATS_PASSWORD: envString,
  NATS_CREDS: envString,
};

/** Replicas of each JetStream stream the services create: 1 on a single server, 3 in a three-node cluster. */
export const DEFAULT_JETSTREAM_REPLICAS = 1;
/** JetStream's own limit on a stream's replicas. */
export const MAX_JETSTREAM_REPLICAS = 5;

/**
 * `JETSTREAM_REPLICAS`: for the services that create streams (spread it into their schema next to
 * `natsEnv`). Applied to an existing stream at start, so raising it on a running cluster takes one restart.
 */
export const jetstreamEnv = {
  JETSTREAM_REPLICAS: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_JETSTREAM_REPLICAS)
    .default(DEFAULT_JETSTREAM_REPLICAS),
};

/** The servers of a comma-separated `NATS_URL`, blanks dropped: what nats.js is given to fail over between. */
export function natsServers(url: string): string[] {
  return url
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export interface NatsSettings {
  url: string;
  user: string | undefined;
  password: string | undefined;
  credsFile: string | undefined;
}

export function natsSettings(env: {
  NATS_URL: string;
  NATS_USER: string | undefined;
  NATS_PASSWORD: string | undefined;
  NATS_CREDS: string | undefined;
}): NatsSettings {
  return { url: env.NATS_URL, user: env.NATS_USER, password: env.NATS_PASSWORD, credsFile: env.NATS_CREDS };
}

/** The settings `serviceEnv` and `natsEnv` read, in the shape the services' configs keep them. */
export function serviceSettings(env: {
  PORT: number;
  HOST: string;
  LOG_LEVEL: string;
  NATS_URL: string;
  NATS_USER: string | undefined;
  NATS_PASSWORD: string | undefined;
  NATS_CREDS: string | undefined;
}): { port: number; host: string; logLevel: string; nats: NatsSettings } {
  return { port: env.PORT, host: env.HOST, logLevel: env.LOG_LEVEL, nats: natsSettings(env) };
}

/**
 * The rule of every service Twilio calls: no signature check without `TWILIO_AUTH_TOKEN`, unless
 * `TWILIO_SKIP_SIGNATURE=true` says so explicitly. For `.refine()` on a schema with both settings.
 */
export const TWILIO_TOKEN_REQUIRED: [
  check: (env: { TWILIO_AUTH_TOKEN: string | undefined; TWILIO_SKIP_SIGNATURE: boolean }) => boolean,
  options: { message: string; path: string[] },
] = [
  (env) => env.TWILIO_AUTH_TOKEN !== undefined || env.TWILIO_SKIP_SIGNATURE,
  {
    message:
      'TWILIO_AUTH_TOKEN is required to check Twilio signatures (set TWILIO_SKIP_SIGNATURE=true to run without, never in production)',
    path: ['TWILIO_AUTH_TOKEN'],
  },
];

/** Parses an environment with a service's schema; throws one ConfigError naming every bad setting. */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
  service: string,
): z.output<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => {
    const name = i.path.join('.') || '(env)';
    const missing =
      i.code === 'invalid_type' && typeof i.path[0] === 'string' && env[i.path[0]] === undefined;
    return missing ? `${name} is required` : `${name}: ${i.message}`;
  });
  throw new ConfigError(`invalid ${service} settings: ${problems.join('; ')}`);
}
