import { setTimeout as sleep } from 'node:timers/promises';
import { classifyDbError, toServiceError } from './errors.js';

/**
 * Pauses before each new attempt when the connection was killed under an operation. The first lets the
 * event loop take in the other sockets' closes: when the server kills every backend at once, the idle
 * clients in the pool are dead too, and the pool only drops them once it has seen them close.
 */
export const CONNECTION_LOST_RETRY_DELAYS_MS = [1, 10, 50, 200];

/**
 * Runs `operation`, and again on a fresh connection when the server killed the connection under it.
 * Only for operations that are safe to repeat: reads, and writes that are idempotent by design (every write
 * in the registry is: keyed by callSid, agent id or event message id). Anything else fails at once, mapped
 * to a 503 when the database is the cause.
 */
export async function withDbRetry<T>(operation: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (err) {
      const delay = CONNECTION_LOST_RETRY_DELAYS_MS[attempt];
      if (delay === undefined || classifyDbError(err) !== 'connection-lost') throw toServiceError(err);
      await sleep(delay);
    }
  }
}
