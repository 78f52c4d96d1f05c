import { z } from 'zod';

/** Where the runner's own PostgreSQL and nats-server listen when it starts them (see .env.example). */
export const DEFAULT_LOCAL_POSTGRES_PORT = 54_329;
export const DEFAULT_LOCAL_NATS_PORT = 42_229;
export const DEFAULT_GATEWAY_PORT = 3_000;
export const DEFAULT_WORKER_PORT = 3_001;
export const DEFAULT_REGISTRY_PORT = 3_002;
export const DEFAULT_NOTIFIER_PORT = 3_003;
/** Local runs stop quicker than production's 120 s: live demo calls get this long after Ctrl-C. */
export const DEFAULT_LOCAL_DRAIN_TIMEOUT_MS = 10_000;
/** The database the runner creates on its embedded PostgreSQL (or on DATABASE_URL's server when missing). */
export const LOCAL_DATABASE = 'switchboard';
export const DEV_NATS_PASSWORDS = {
  NATS_REGISTRY_PASSWORD: 'registry-dev',
  NATS_GATEWAY_PASSWORD: 'gateway-dev',
  NATS_WORKER_PASSWORD: 'worker-dev',
  NATS_NOTIFIER_PASSWORD: 'notifier-dev',
  NATS_OPS_PASSWORD: 'ops-dev',
} as const;

const optional = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const port = (fallback: number) =>
  optional.transform((v, ctx) => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (Number.isInteger(n) && n >= 1 && n <= 65_535) return n;
    ctx.addIssue({ code: 'custom', message: 'expected a port number (1-65535)' });
    return z.NEVER;
  });
const withDefault = (fallback: string) => optional.transform((v) => v ?? fallback);

const Settings = z.object({
  DATABASE_URL: optional,
  NATS_URL: optional,
  NATS_USER: optional,
  NATS_PASSWORD: optional,
  NATS_CREDS: optional,
  NATS_REGISTRY_PASSWORD: withDefault(DEV_NATS_PASSWORDS.NATS_REGISTRY_PASSWORD),
  NATS_GATEWAY_PASSWORD: withDefault(DEV_NATS_PASSWORDS.NATS_GATEWAY_PASSWORD),
  NATS_WORKER_PASSWORD: withDefault(DEV_NATS_PASSWORDS.NATS_WORKER_PASSWORD),
  NATS_NOTIFIER_PASSWORD: withDefault(DEV_NATS_PASSWORDS.NATS_NOTIFIER_PASSWORD),
  NATS_OPS_PASSWORD: withDefault(DEV_NATS_PASSWORDS.NATS_OPS_PASSWORD),
  LOCAL_POSTGRES_PORT: port(DEFAULT_LOCAL_POSTGRES_PORT),
  LOCAL_NATS_PORT: port(DEFAULT_LOCAL_NATS_PORT),
  /** Where the embedded PostgreSQL and nats-server keep their data (relative to the repository). */
  LOCAL_DATA_DIR: withDefault('.data'),
  GATEWAY_PORT: port(DEFAULT_GATEWAY_PORT),
  WORKER_PORT: port(DEFAULT_WORKER_PORT),
  REGISTRY_PORT: port(DEFAULT_REGISTRY_PORT),
  NOTIFIER_PORT: port(DEFAULT_NOTIFIER_PORT),
  HOST: withDefault('127.0.0.1'),
  PUBLIC_BASE_URL: optional,
  MEDIA_STREAM_URL: optional,
  OPENAI_API_KEY: optional,
  DRAIN_TIMEOUT_MS: optional,
});

export interface StackSettings {
  databaseUrl: string | undefined;
  nats: { url: string | undefined; user?: string; password?: string; credsFile?: string };
  natsPasswords: Record<keyof typeof DEV_NATS_PASSWORDS, string>;
  local: { postgresPort: number; natsPort: number; dataDir: string };
  ports: { gateway: number; worker: number; registry: number; notifier: number };
  host: string;
  publicBaseUrl: string;
  mediaStreamUrl: string;
  openaiApiKey: string | undefined;
  drainTimeoutMs: string;
}

/** Reads the runner's settings from the merged environment; throws one error naming every bad one. */
export function loadStackSettings(env: Record<string, string | undefined>): StackSettings {
  const parsed = Settings.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid settings: ${problems.join('; ')}`);
  }
  const e = parsed.data;
  // The URLs Twilio (and the demo) use: on this machine unless PUBLIC_BASE_URL / MEDIA_STREAM_URL say where
  // a tunnel or load balancer exposes them.
  const loopback = e.HOST === '0.0.0.0' || e.HOST === '::' ? '127.0.0.1' : e.HOST;
  return {
    databaseUrl: e.DATABASE_URL,
    nats: {
      url: e.NATS_URL,
      ...(e.NATS_USER === undefined ? {} : { user: e.NATS_USER }),
      ...(e.NATS_PASSWORD === undefined ? {} : { password: e.NATS_PASSWORD }),
      ...(e.NATS_CREDS === undefined ? {} : { credsFile: e.NATS_CREDS }),
    },
    natsPasswords: {
      NATS_REGISTRY_PASSWORD: e.NATS_REGISTRY_PASSWORD,
      NATS_GATEWAY_PASSWORD: e.NATS_GATEWAY_PASSWORD,
      NATS_WORKER_PASSWORD: e.NATS_WORKER_PASSWORD,
      NATS_NOTIFIER_PASSWORD: e.NATS_NOTIFIER_PASSWORD,
      NATS_OPS_PASSWORD: e.NATS_OPS_PASSWORD,
    },
    local: { postgresPort: e.LOCAL_POSTGRES_PORT, natsPort: e.LOCAL_NATS_PORT, dataDir: e.LOCAL_DATA_DIR },
    ports: {
      gateway: e.GATEWAY_PORT,
      worker: e.WORKER_PORT,
      registry: e.REGISTRY_PORT,
      notifier: e.NOTIFIER_PORT,
    },
    host: e.HOST,
    publicBaseUrl: (e.PUBLIC_BASE_URL ?? `http://${loopback}:${e.GATEWAY_PORT}`).replace(/\/+$/, ''),
    mediaStreamUrl: e.MEDIA_STREAM_URL ?? `ws://${loopback}:${e.WORKER_PORT}/media-stream`,
    openaiApiKey: e.OPENAI_API_KEY,
    drainTimeoutMs: e.DRAIN_TIMEOUT_MS ?? String(DEFAULT_LOCAL_DRAIN_TIMEOUT_MS),
  };
}
