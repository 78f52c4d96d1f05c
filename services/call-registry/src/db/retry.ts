import { classifyDbError, toServiceError } from './errors.js';

/** Attempts of one database operation when the connection is killed under it. */
export const CONNECTION_LOST_ATTEMPTS = 3;

/**
 * Runs `operation`, and again on a fresh connection when the server killed the connection under it.
 * Only for operations that are safe to repeat: reads, and writes that are idempotent by design (every write
 * in the registry is: keyed by callSid, agent id or event message id). Anything else fails at once, mapped
 * to a 503 when the database is the cause.
 */
export async function withDbRetry<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (err) {
      if (attempt < CONNECTION_LOST_ATTEMPTS && classifyDbError(err) === 'connection-lost') continue;
      throw toServiceError(err);
    }
  }
}
