import {
  ConfigError,
  envBoolean,
  envFlag,
  jetstreamEnv,
  type NatsSettings,
  natsEnv,
  natsSettings,
  parseEnv,
  serviceEnv,
} from '@switchboard/config';
import { REGISTRY_SERVICE_NAME } from '@switchboard/contracts';
import { z } from 'zod';

export const DEFAULT_PORT = 3002;
export const DEFAULT_DB_POOL_MAX = 20;
export const DEFAULT_DB_POOL_MIN = 2;
export const DEFAULT_DB_IDLE_TIMEOUT_MS = 30_000;
export const DEFAULT_DB_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_DB_STATEMENT_TIMEOUT_MS = 5_000;
/** How often the pool's figures are logged at debug (the origin's "Pool status" line). */
export const DEFAULT_POOL_LOG_INTERVAL_MS = 30_000;
export const APPLICATION_NAME = 'switchboard-call-registry';

const int = (min: number) => z.coerce.number().int().min(min);

const Env = z.object({
  DATABASE_URL: z.string().min(1, 'DATABASE_URL is required'),
  DB_POOL_MAX: int(1).default(DEFAULT_DB_POOL_MAX),
  DB_POOL_MIN: int(0).default(DEFAULT_DB_POOL_MIN),
  DB_IDLE_TIMEOUT_MS: int(0).default(DEFAULT_DB_IDLE_TIMEOUT_MS),
  DB_CONNECT_TIMEOUT_MS: int(1).default(DEFAULT_DB_CONNECT_TIMEOUT_MS),
  DB_STATEMENT_TIMEOUT_MS: int(0).default(DEFAULT_DB_STATEMENT_TIMEOUT_MS),
  /** Log every query with its time (the origin's DEBUG_DB). */
  DEBUG_DB: envBoolean,
  DB_POOL_LOG_INTERVAL_MS: int(0).default(DEFAULT_POOL_LOG_INTERVAL_MS),
  /** Apply pending migrations at start, under an advisory lock. */
  MIGRATE_ON_START: envFlag(true),
  ...natsEnv,
  ...jetstreamEnv,
  ...serviceEnv(DEFAULT_PORT),
});

/** Every environment variable the registry reads. */
export const SETTINGS: readonly string[] = Object.keys(Env.shape);

/**
 * TLS follows `sslmode` in DATABASE_URL and node-postgres verifies the certificate for `require`,
 * `verify-ca` and `verify-full`; only an explicit `sslmode=no-verify` skips the check.
 */
export interface PoolConfig {
  connectionString: string;
  max: number;
  min: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  statementTimeoutMs: number;
  debug: boolean;
}

export interface RegistryConfig {
  db: PoolConfig;
  poolLogIntervalMs: number;
  migrateOnStart: boolean;
  nats: NatsSettings;
  /** Replicas of CALL_EVENTS (`JETSTREAM_REPLICAS`); its durable consumer follows the stream's. */
  jetstreamReplicas: number;
  http: { port: number; host: string };
  logLevel: string;
}

export { ConfigError };

/** Parses the registry's settings from the environment; throws one ConfigError naming every bad setting. */
export function loadConfig(env: Record<string, string | undefined>): RegistryConfig {
  const e = parseEnv(Env, env, REGISTRY_SERVICE_NAME);
  if (e.DB_POOL_MIN > e.DB_POOL_MAX) {
    throw new ConfigError(
      `invalid ${REGISTRY_SERVICE_NAME} settings: DB_POOL_MIN must not exceed DB_POOL_MAX`,
    );
  }
  return {
    db: {
      connectionString: e.DATABASE_URL,
      max: e.DB_POOL_MAX,
      min: e.DB_POOL_MIN,
      idleTimeoutMs: e.DB_IDLE_TIMEOUT_MS,
      connectTimeoutMs: e.DB_CONNECT_TIMEOUT_MS,
      statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS,
      debug: e.DEBUG_DB,
    },
    poolLogIntervalMs: e.DB_POOL_LOG_INTERVAL_MS,
    migrateOnStart: e.MIGRATE_ON_START,
    nats: natsSettings(e),
    jetstreamReplicas: e.JETSTREAM_REPLICAS,
    http: { port: e.PORT, host: e.HOST },
    logLevel: e.LOG_LEVEL,
  };
}
