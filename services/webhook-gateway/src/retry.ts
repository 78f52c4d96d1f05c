import { setTimeout as sleep } from 'node:timers/promises';
import { SwitchboardError } from '@switchboard/contracts';

/** Below this, another attempt could not get an answer back in time; give up instead. */
export const MIN_ATTEMPT_MS = 100;
/** Pause after "nobody serves this" (a registry restarting) before asking again. */
export const UNAVAILABLE_PAUSE_MS = 250;

export function isRetryable(err: unknown): err is SwitchboardError {
  return err instanceof SwitchboardError && err.retryable;
}

/**
 * Runs `attempt` until it succeeds, fails for good, or `budgetMs` is spent. Each attempt gets at most
 * `attemptTimeoutMs`, and never more than what is left of the budget. Timeouts are retried at once (the
 * registry may just have been slow), unavailability after a short pause; anything else is thrown as is.
 */
export async function withinBudget<T>(
  budgetMs: number,
  attemptTimeoutMs: number,
  attempt: (timeoutMs: number) => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + budgetMs;
  for (;;) {
    const timeoutMs = Math.max(1, Math.min(attemptTimeoutMs, deadline - Date.now()));
    try {
      return await attempt(timeoutMs);
    } catch (err) {
      if (!isRetryable(err)) throw err;
      const pause = err.code === 'REGISTRY_TIMEOUT' ? 0 : UNAVAILABLE_PAUSE_MS;
      if (deadline - Date.now() - pause < MIN_ATTEMPT_MS) throw err;
      if (pause > 0) await sleep(pause);
    }
  }
}
