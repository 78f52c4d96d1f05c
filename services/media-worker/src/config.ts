import { randomBytes } from 'node:crypto';
import {
  envBoolean,
  envMilliseconds,
  envString,
  type NatsSettings,
  natsEnv,
  parseEnv,
  serviceEnv,
  serviceSettings,
  TWILIO_TOKEN_REQUIRED,
} from '@switchboard/config';
import { WORKER_SERVICE_NAME, WorkerId } from '@switchboard/contracts';
import { z } from 'zod';

export const DEFAULT_PORT = 3001;
export const DEFAULT_OPENAI_REALTIME_URL = 'wss://api.openai.com/v1/realtime';
/**
 * The model the Realtime socket is dialled with while the call lookup is still running (the model is part
 * of the URL and cannot change later). When the call's agent uses another model, that socket is dropped and
 * a new one dialled; the default agent's model is the one to put here.
 */
export const DEFAULT_OPENAI_MODEL = 'gpt-realtime';
/** Transcribes the caller's side (the agent's side comes with its audio). */
export const DEFAULT_TRANSCRIPTION_MODEL = 'gpt-4o-mini-transcribe';
export const DEFAULT_MAX_CONCURRENT_CALLS = 1_000;
/** After SIGTERM, how long live calls may go on before they are closed. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 120_000;
/** From the upgrade to Twilio's `start` message (Twilio sends it at once). */
export const DEFAULT_STREAM_START_TIMEOUT_MS = 10_000;
/** One `call.bySid` request; it is tried twice. */
export const DEFAULT_LOOKUP_TIMEOUT_MS = 1_500;
/** Opening the Realtime socket, up to `session.updated`. */
export const DEFAULT_REALTIME_CONNECT_TIMEOUT_MS = 5_000;
/**
 * Caller audio held while the Realtime session is not ready, in milliseconds of audio. Above it the call
 * is ended rather than audio dropped; lookup (2 tries) plus connect (2 tries) fit well inside.
 */
export const DEFAULT_MAX_HELD_AUDIO_MS = 20_000;
/** A Realtime session is replaced after this long: 55 minutes, under OpenAI's 60. */
export const DEFAULT_REALTIME_SESSION_MAX_MS = 55 * 60_000;
/** While one of the agent's tools runs and the agent is quiet, how long before it says a holding line. */
export const DEFAULT_TOOL_FILLER_AFTER_MS = 1_500;

/** How long a slot reserved for a call waits for its stream before it is free again. */
export const DEFAULT_RESERVATION_TTL_MS = 10_000;

/** A worker's id when `WORKER_ID` is not set: random, so each process is a worker of its own. */
export function randomWorkerId(): string {
  return `w-${randomBytes(6).toString('hex')}`;
}

/** A Standard Webhooks secret: `whsec_` and the key in base64. */
const SIGNING_SECRET = /^whsec_(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const EnvSchema = z
  .object({
    ...serviceEnv(DEFAULT_PORT),
    ...natsEnv,
    /** The exact `wss://` URL Twilio was given (no params): signatures are computed over it. */
    PUBLIC_MEDIA_URL: envString.pipe(z.url({ protocol: /^(wss|ws)$/ }).optional()),
    /** Unique per process; default random. Announced on `worker.announce`, served on `worker.reserve.<id>`. */
    WORKER_ID: envString.pipe(WorkerId.optional()),
    /** This worker's own `wss://` URL as Twilio reaches it: placed calls are streamed to it. */
    WORKER_MEDIA_URL: envString.pipe(z.url({ protocol: /^(wss|ws)$/ }).optional()),
    RESERVATION_TTL_MS: envMilliseconds(DEFAULT_RESERVATION_TTL_MS),
    TWILIO_AUTH_TOKEN: envString,
    TWILIO_SKIP_SIGNATURE: envBoolean,
    OPENAI_API_KEY: z.string().trim().min(1, 'OPENAI_API_KEY is required'),
    OPENAI_REALTIME_URL: z.url({ protocol: /^(wss|ws)$/ }).default(DEFAULT_OPENAI_REALTIME_URL),
    OPENAI_DEFAULT_MODEL: z.string().min(1).default(DEFAULT_OPENAI_MODEL),
    OPENAI_TRANSCRIPTION_MODEL: z.string().min(1).default(DEFAULT_TRANSCRIPTION_MODEL),
    MAX_CONCURRENT_CALLS: z.coerce.number().int().positive().default(DEFAULT_MAX_CONCURRENT_CALLS),
    DRAIN_TIMEOUT_MS: envMilliseconds(DEFAULT_DRAIN_TIMEOUT_MS),
    STREAM_START_TIMEOUT_MS: envMilliseconds(DEFAULT_STREAM_START_TIMEOUT_MS),
    LOOKUP_TIMEOUT_MS: envMilliseconds(DEFAULT_LOOKUP_TIMEOUT_MS),
    REALTIME_CONNECT_TIMEOUT_MS: envMilliseconds(DEFAULT_REALTIME_CONNECT_TIMEOUT_MS),
    MAX_HELD_AUDIO_MS: envMilliseconds(DEFAULT_MAX_HELD_AUDIO_MS),
    REALTIME_SESSION_MAX_MS: envMilliseconds(DEFAULT_REALTIME_SESSION_MAX_MS),
    /** Signs every tool request (Standard Webhooks). Without it, tools answer the model with an error. */
    TOOL_SIGNING_SECRET: envString.pipe(
      z
        .string()
        .regex(SIGNING_SECRET, 'TOOL_SIGNING_SECRET must be whsec_ followed by base64')
        .refine((secret) => secret.length > 'whsec_'.length + 20, 'TOOL_SIGNING_SECRET is too short')
        .optional(),
    ),
    /** Lets tool URLs reach loopback, private and link-local addresses (tests, a tool server on the same host). */
    TOOL_ALLOW_PRIVATE_URLS: envBoolean,
    TOOL_FILLER_AFTER_MS: envMilliseconds(DEFAULT_TOOL_FILLER_AFTER_MS),
    /**
     * Keep each agent's greeting audio from its first call and play it at once on the next ones (off by
     * default: the caller hears a recording, and a barge-in during it leaves the model an estimate of what
     * was heard; see bridge/greeting.ts).
     */
    KEEP_GREETING_AUDIO: envBoolean,
  })
  .refine(...TWILIO_TOKEN_REQUIRED)
  .refine(
    (env) =>
      env.PUBLIC_MEDIA_URL !== undefined || env.WORKER_MEDIA_URL !== undefined || env.TWILIO_SKIP_SIGNATURE,
    {
      message: 'PUBLIC_MEDIA_URL (or WORKER_MEDIA_URL) is required to check Twilio signatures',
      path: ['PUBLIC_MEDIA_URL'],
    },
  );

/** Every environment variable the worker reads. */
export const SETTINGS: readonly string[] = Object.keys(EnvSchema.shape);

export interface WorkerConfig {
  port: number;
  host: string;
  logLevel: string;
  nats: NatsSettings;
  twilio: {
    authToken: string | undefined;
    skipSignature: boolean;
    /** The URL Twilio signs the WebSocket upgrade with (behind `MEDIA_STREAM_URL`). */
    publicMediaUrl: string | undefined;
  };
  /** Placement (SPEC: Scale-out). */
  placement: {
    workerId: string;
    /** Twilio signs placed streams' upgrades over it; null: the worker only serves behind `MEDIA_STREAM_URL`. */
    mediaUrl: string | null;
    reservationTtlMs: number;
  };
  openai: {
    apiKey: string;
    realtimeUrl: string;
    defaultModel: string;
    transcriptionModel: string;
  };
  maxConcurrentCalls: number;
  drainTimeoutMs: number;
  streamStartTimeoutMs: number;
  lookupTimeoutMs: number;
  realtimeConnectTimeoutMs: number;
  maxHeldAudioMs: number;
  realtimeSessionMaxMs: number;
  /** KEEP_GREETING_AUDIO. */
  keepGreetingAudio: boolean;
  tools: {
    /** `whsec_…`; undefined: no tool request is ever sent (each call is answered with an error). */
    signingSecret: string | undefined;
    allowPrivateUrls: boolean;
    fillerAfterMs: number;
  };
}

export { ConfigError } from '@switchboard/config';

/** Reads the worker's settings from an environment (`process.env` in main.ts), or throws ConfigError. */
export function loadConfig(env: Record<string, string | undefined>): WorkerConfig {
  const e = parseEnv(EnvSchema, env, WORKER_SERVICE_NAME);
  return {
    ...serviceSettings(e),
    twilio: {
      authToken: e.TWILIO_AUTH_TOKEN,
      skipSignature: e.TWILIO_SKIP_SIGNATURE,
      publicMediaUrl: e.PUBLIC_MEDIA_URL,
    },
    placement: {
      workerId: e.WORKER_ID ?? randomWorkerId(),
      mediaUrl: e.WORKER_MEDIA_URL ?? null,
      reservationTtlMs: e.RESERVATION_TTL_MS,
    },
    openai: {
      apiKey: e.OPENAI_API_KEY,
      realtimeUrl: e.OPENAI_REALTIME_URL,
      defaultModel: e.OPENAI_DEFAULT_MODEL,
      transcriptionModel: e.OPENAI_TRANSCRIPTION_MODEL,
    },
    maxConcurrentCalls: e.MAX_CONCURRENT_CALLS,
    drainTimeoutMs: e.DRAIN_TIMEOUT_MS,
    streamStartTimeoutMs: e.STREAM_START_TIMEOUT_MS,
    lookupTimeoutMs: e.LOOKUP_TIMEOUT_MS,
    realtimeConnectTimeoutMs: e.REALTIME_CONNECT_TIMEOUT_MS,
    maxHeldAudioMs: e.MAX_HELD_AUDIO_MS,
    realtimeSessionMaxMs: e.REALTIME_SESSION_MAX_MS,
    keepGreetingAudio: e.KEEP_GREETING_AUDIO,
    tools: {
      signingSecret: e.TOOL_SIGNING_SECRET,
      allowPrivateUrls: e.TOOL_ALLOW_PRIVATE_URLS,
      fillerAfterMs: e.TOOL_FILLER_AFTER_MS,
    },
  };
}
