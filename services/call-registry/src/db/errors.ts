import { DatabaseUnavailableError, SwitchboardError } from '@switchboard/contracts';

/** The server ended the connection under a running query: `pg_terminate_backend`, a failover, a restart. */
const CONNECTION_LOST_CODES = new Set([
  '57P01', // admin_shutdown (pg_terminate_backend — the origin's db_termination)
  '57P02', // crash_shutdown
  '08000', // connection_exception
  '08003', // connection_does_not_exist
  '08006', // connection_failure
  'ECONNRESET',
  'EPIPE',
  'P1017', // Prisma: server has closed the connection
]);

/** No connection could be had at all: the server is down, refusing, or the pool is saturated. */
const UNREACHABLE_CODES = new Set([
  '57P03', // cannot_connect_now (starting up, shutting down)
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '53300', // too_many_connections
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'P1001', // Prisma: can't reach database server
  'P2024', // Prisma: timed out fetching a connection from the pool
]);

const CONNECTION_LOST_MESSAGES =
  /Connection terminated|Client has encountered a connection error|terminating connection/i;
const UNREACHABLE_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated due to connection timeout/i;
const QUERY_TIMEOUT_CODES = new Set(['57014']); // query_canceled: statement_timeout
const QUERY_TIMEOUT_MESSAGES = /Query read timeout/i;

export type DbFailure = 'connection-lost' | 'unreachable' | 'timeout' | 'other';

/** Sorts a database error by what it means for the request; walks `cause` chains (Prisma wraps pg's errors). */
export function classifyDbError(err: unknown): DbFailure {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') {
      if (CONNECTION_LOST_CODES.has(code)) return 'connection-lost';
      if (UNREACHABLE_CODES.has(code)) return 'unreachable';
      if (QUERY_TIMEOUT_CODES.has(code)) return 'timeout';
    }
    if (UNREACHABLE_MESSAGES.test(e.message)) return 'unreachable';
    if (CONNECTION_LOST_MESSAGES.test(e.message)) return 'connection-lost';
    if (QUERY_TIMEOUT_MESSAGES.test(e.message)) return 'timeout';
  }
  return 'other';
}

/** Turns a database failure into what the caller should see: 503 when the database is the problem. */
export function toServiceError(err: unknown): unknown {
  if (err instanceof SwitchboardError) return err;
  switch (classifyDbError(err)) {
    case 'connection-lost':
    case 'unreachable':
      return new DatabaseUnavailableError('the database is unavailable', { cause: err });
    case 'timeout':
      return new DatabaseUnavailableError('the database did not answer in time', { cause: err });
    case 'other':
      return err;
  }
}

export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return code === '23505' || code === 'P2002';
}
