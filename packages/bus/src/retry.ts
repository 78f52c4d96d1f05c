import { SwitchboardError } from '@switchboard/contracts';

/** Below this much of the budget, another attempt could not get an answer back in time: give up instead. */
export const MIN_ATTEMPT_MS = 100;
/** Pause after "nobody serves this" (a registry restarting) or a 503 from it, before asking again. */
export const UNAVAILABLE_PAUSE_MS = 250;

/**
 * After failed attempt number `attempt` (from 1): how long to pause before the next one, or `undefined` when
 * trying again cannot help and the error should be thrown as is.
 */
export type RetryPauses = (error: unknown, attempt: number) => number | undefined;

/**
 * Requests to a service over NATS. Only errors that say "later may work" are retried (`retryable`: 503 and
 * 504). A timeout is retried at once: the attempt already waited its whole timeout, and the next one may reach
 * another replica (the queue group routes it afresh). Unavailability (no responders, a 503) is retried after
 * `UNAVAILABLE_PAUSE_MS`: asking again at once would only meet the same empty subject.
 */
export const requestPauses: RetryPauses = (error) => {
  if (!(error instanceof SwitchboardError) || !error.retryable) return undefined;
  return error.code === 'REGISTRY_TIMEOUT' ? 0 : UNAVAILABLE_PAUSE_MS;
};

/**
 * Every error is retried, after pauses that double from `firstMs` up to `maxMs`: for JetStream publishes,
 * where a missing stream, a lost connection and a slow acknowledgement all pass, and the message id makes a
 * repeat harmless.
 */
export function backoffPauses(firstMs: number, maxMs: number): RetryPauses {
  return (_error, attempt) => Math.min(firstMs * 2 ** (attempt - 1), maxMs);
}

export interface RetryOptions {
  /** All that the attempts and pauses together may take; `Infinity` retries until success or give-up. */
  budgetMs: number;
  /** The most one attempt may take. An attempt never gets more than what is left of the budget. */
  attemptTimeoutMs: number;
  /** Which errors are retried and after what pause; `requestPauses` unless given. */
  pauses?: RetryPauses;
  /** Attempts at most, the first included; unlimited (within the budget) unless given. */
  maxAttempts?: number;
  /** Give up rather than start an attempt with less than this left of the budget; `MIN_ATTEMPT_MS` unless given. */
  minAttemptMs?: number;
  /** Once aborted, no further attempt starts: a pause under way ends and the last error is thrown. */
  signal?: AbortSignal;
  /** Called before each pause (to log it): the error, the attempt that failed, the pause ahead. */
  onRetry?: (error: unknown, attempt: number, pauseMs: number) => void;
}

/**
 * Runs `attempt` until it succeeds, fails with an error `pauses` does not retry, runs out of attempts, or the
 * budget is spent; then throws the last error as it was. Each attempt is given its timeout: at most
 * `attemptTimeoutMs`, never more than what is left of the budget.
 */
export async function withRetry<T>(
  attempt: (timeoutMs: number, attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  const { budgetMs, attemptTimeoutMs, pauses = requestPauses, signal, onRetry } = options;
  const maxAttempts = options.maxAttempts ?? Number.POSITIVE_INFINITY;
  const minAttemptMs = options.minAttemptMs ?? MIN_ATTEMPT_MS;
  const deadline = Date.now() + budgetMs;
  for (let n = 1; ; n++) {
    const timeoutMs = Math.max(1, Math.min(attemptTimeoutMs, deadline - Date.now()));
    try {
      return await attempt(timeoutMs, n);
    } catch (error) {
      const pauseMs = pauses(error, n);
      const outOfTime = pauseMs !== undefined && deadline - Date.now() - pauseMs < minAttemptMs;
      if (pauseMs === undefined || n >= maxAttempts || outOfTime || signal?.aborted) throw error;
      onRetry?.(error, n, pauseMs);
      if (pauseMs > 0 && !(await pause(pauseMs, signal))) throw error;
    }
  }
}

/** Resolves true after `ms`, or false as soon as `signal` aborts. */
function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    const done = (elapsed: boolean) => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', aborted);
      resolve(elapsed);
    };
    const aborted = () => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal?.addEventListener('abort', aborted, { once: true });
  });
}
