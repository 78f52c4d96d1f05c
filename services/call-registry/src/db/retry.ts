import { setTimeout as sleep } from 'node:timers/promises';
import { classifyDbError, toServiceError } from './errors.js';

/**
 * Pauses before each new attempt when the connection was killed under an operation; after the last, every
 * further pause is the last one. The first lets the event loop take in the other sockets' closes: when the
 * server kills every backend at once, the idle clients in the pool are dead too, and the pool only drops
 * them once it has seen them close.
 */
export const CONNECTION_LOST_RETRY_DELAYS_MS = [1, 10, 50, 200];

/**
 * How long an operation keeps being tried again after its connections were killed under it. A time, not a
 * count: kills come on the server's schedule (an operator's `pg_terminate_backend` loop, a failover), and
 * on a loaded machine an operation may be in flight for several of them.
 */
export const CONNECTION_LOST_RETRY_BUDGET_MS = 2_000;

/**
 * Runs `operation`, and again on a fresh connection when the server killed the connection under it, for up
 * to `CONNECTION_LOST_RETRY_BUDGET_MS` from the first attempt. Only for operations that are safe to repeat:
 * reads, and writes that are idempotent by design (every write in the registry is: keyed by callSid, agent
 * id or event message id). Anything else fails at once, mapped to a 503 when the database is the cause.
 */
export async function withDbRetry<T>(operation: () => Promise<T>): Promise<T> {
  const giveUpAt = performance.now() + CONNECTION_LOST_RETRY_BUDGET_MS;
  for (let attempt = 0; ; attempt++) {
    try {
      return await operation();
    } catch (err) {
      if (classifyDbError(err) !== 'connection-lost') throw toServiceError(err);
      const delays = CONNECTION_LOST_RETRY_DELAYS_MS;
      const delay = delays[Math.min(attempt, delays.length - 1)] as number;
      if (performance.now() + delay > giveUpAt) throw toServiceError(err);
      await sleep(delay);
    }
  }
}
