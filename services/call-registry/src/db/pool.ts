import type { Logger } from '@switchboard/logger';
import pg from 'pg';
import type { PoolConfig } from '../config.js';
import { APPLICATION_NAME } from '../config.js';

export interface PoolFigures {
  total: number;
  idle: number;
  waiting: number;
  max: number;
}

/** Delay before the first TCP keep-alive probe on an idle connection, well inside cloud NAT/LB idle cut-offs. */
export const KEEP_ALIVE_INITIAL_DELAY_MS = 10_000;

/**
 * The registry's one pool, configured in full: the incident this project grew from was an unconfigured pool
 * (no max, no timeouts, no keep-alive, no error listener) whose connections the server cut.
 */
export function createPool(config: PoolConfig, log: Logger): pg.Pool {
  const pool = new pg.Pool({
    connectionString: config.connectionString,
    application_name: APPLICATION_NAME,
    max: config.max,
    min: config.min,
    idleTimeoutMillis: config.idleTimeoutMs,
    connectionTimeoutMillis: config.connectTimeoutMs,
    statement_timeout: config.statementTimeoutMs || undefined,
    // A query that outlives the statement timeout by this much has lost its server: give the client back.
    query_timeout: config.statementTimeoutMs ? config.statementTimeoutMs + 1_000 : undefined,
    keepAlive: true,
    keepAliveInitialDelayMillis: KEEP_ALIVE_INITIAL_DELAY_MS,
  });
  // An idle client whose connection dies emits `error` on the pool; without a listener the process exits.
  pool.on('error', (err: Error & { code?: string }) => {
    log.warn({ err: errorFields(err), ...poolFigures(pool, config.max) }, 'idle database connection lost');
  });
  // A checked-out client whose connection dies between queries emits `error` on itself, where pg-pool
  // listens only while a query runs. The query in hand fails and is retried; this keeps the process alive.
  pool.on('connect', (client) => {
    client.on('error', (err: Error & { code?: string }) => {
      log.debug({ err: errorFields(err) }, 'database connection lost');
    });
    if (config.debug) log.debug(poolFigures(pool, config.max), 'database connection opened');
  });
  if (config.debug) {
    pool.on('remove', () => log.debug(poolFigures(pool, config.max), 'database connection closed'));
  }
  return pool;
}

/** `heldIdle`: connections checked out but running nothing (held for lookups), counted as idle. */
export function poolFigures(pool: pg.Pool, max: number, heldIdle = 0): PoolFigures {
  return { total: pool.totalCount, idle: pool.idleCount + heldIdle, waiting: pool.waitingCount, max };
}

/**
 * Opens `min` connections now, so the first calls after a start find warm connections: `min` only keeps
 * idle clients from being closed below it, it does not open them.
 */
export async function warmPool(pool: pg.Pool, min: number): Promise<void> {
  const clients = await Promise.all(Array.from({ length: min }, () => pool.connect()));
  for (const client of clients) client.release();
}

function errorFields(err: Error & { code?: string }) {
  return { message: err.message, code: err.code };
}
