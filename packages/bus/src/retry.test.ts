import {
  CallNotFoundError,
  InvalidRequestError,
  RegistryTimeoutError,
  RegistryUnavailableError,
} from '@switchboard/contracts';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backoffPauses, MIN_ATTEMPT_MS, requestPauses, UNAVAILABLE_PAUSE_MS, withRetry } from './retry.js';

interface Outcome {
  value?: unknown;
  error?: unknown;
}

/**
 * Runs `withRetry` on fake timers. `answer` gives each attempt's result (an Error is thrown); returns the
 * outcome and when (ms from the start) each attempt began, with its timeout.
 */
async function run(
  answer: (attempt: number) => unknown,
  options: Omit<Parameters<typeof withRetry>[1], 'attemptTimeoutMs'> & { attemptTimeoutMs?: number },
  durationMs = 0,
) {
  const started = Date.now();
  const attempts: { at: number; timeoutMs: number }[] = [];
  const outcome = withRetry(
    async (timeoutMs, attempt) => {
      attempts.push({ at: Date.now() - started, timeoutMs });
      // An attempt that waits for its answer takes time; one that meets "no responders" fails at once.
      if (durationMs > 0) await new Promise((r) => setTimeout(r, Math.min(durationMs, timeoutMs)));
      const result = answer(attempt);
      if (result instanceof Error) throw result;
      return result;
    },
    { attemptTimeoutMs: 1_500, ...options },
  ).then(
    (value): Outcome => ({ value }),
    (error: unknown): Outcome => ({ error }),
  );
  await vi.runAllTimersAsync();
  return { ...(await outcome), attempts };
}

describe('withRetry', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries a timeout at once, giving the next attempt what is left of the budget', async () => {
    const { value, attempts } = await run(
      (n) => (n === 1 ? new RegistryTimeoutError() : 'ok'),
      { budgetMs: 2_000 },
      1_500,
    );
    expect(value).toBe('ok');
    expect(attempts).toEqual([
      { at: 0, timeoutMs: 1_500 },
      { at: 1_500, timeoutMs: 500 },
    ]);
  });

  it('pauses after "nobody serves this" before asking again', async () => {
    const { value, attempts } = await run((n) => (n < 3 ? new RegistryUnavailableError() : 'ok'), {
      budgetMs: 3_000,
    });
    expect(value).toBe('ok');
    expect(attempts.map((a) => a.at)).toEqual([0, UNAVAILABLE_PAUSE_MS, 2 * UNAVAILABLE_PAUSE_MS]);
  });

  it('throws the last retryable error once the budget is spent', async () => {
    const { error, attempts } = await run(() => new RegistryUnavailableError(), { budgetMs: 1_000 });
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    // At 750 ms, a pause would leave less than MIN_ATTEMPT_MS: no fifth attempt.
    expect(attempts.map((a) => a.at)).toEqual([0, 250, 500, 750]);
    expect(1_000 - 750 - UNAVAILABLE_PAUSE_MS).toBeLessThan(MIN_ATTEMPT_MS);
  });

  it('never retries an error that will not change', async () => {
    for (const failure of [
      new InvalidRequestError('no'),
      CallNotFoundError.forSid('CA0'),
      new Error('bug'),
    ]) {
      const { error, attempts } = await run(() => failure, { budgetMs: 3_000 });
      expect(error).toBe(failure);
      expect(attempts).toHaveLength(1);
    }
  });

  it('stops at maxAttempts', async () => {
    const { error, attempts } = await run(() => new RegistryTimeoutError(), {
      budgetMs: 10_000,
      maxAttempts: 2,
    });
    expect(error).toBeInstanceOf(RegistryTimeoutError);
    expect(attempts).toHaveLength(2);
  });

  it('ends a pause and gives up when its signal aborts', async () => {
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 100);
    const { error, attempts } = await run(() => new RegistryUnavailableError(), {
      budgetMs: 10_000,
      signal: abort.signal,
    });
    expect(error).toBeInstanceOf(RegistryUnavailableError);
    expect(attempts).toHaveLength(1);
  });

  it('tells onRetry what failed and the pause ahead', async () => {
    const retries: [string, number, number][] = [];
    await run((n) => (n < 3 ? new RegistryUnavailableError() : 'ok'), {
      budgetMs: 3_000,
      onRetry: (err, attempt, pauseMs) => retries.push([(err as Error).name, attempt, pauseMs]),
    });
    expect(retries).toEqual([
      ['RegistryUnavailableError', 1, 250],
      ['RegistryUnavailableError', 2, 250],
    ]);
  });

  it('with backoffPauses and no budget, retries any error with doubling pauses up to the ceiling', async () => {
    const { value, attempts } = await run((n) => (n < 8 ? new Error('no stream yet') : 'stored'), {
      budgetMs: Number.POSITIVE_INFINITY,
      attemptTimeoutMs: 2_000,
      pauses: backoffPauses(50, 400),
    });
    expect(value).toBe('stored');
    const gaps = attempts.slice(1).map((a, i) => a.at - (attempts[i]?.at ?? 0));
    expect(gaps).toEqual([50, 100, 200, 400, 400, 400, 400]);
    expect(attempts.every((a) => a.timeoutMs === 2_000)).toBe(true);
  });
});

describe('requestPauses', () => {
  it('retries timeouts at once, unavailability after a pause, and nothing else', () => {
    expect(requestPauses(new RegistryTimeoutError(), 1)).toBe(0);
    expect(requestPauses(new RegistryUnavailableError(), 1)).toBe(UNAVAILABLE_PAUSE_MS);
    expect(requestPauses(new InvalidRequestError('no'), 1)).toBeUndefined();
    expect(requestPauses(new Error('not ours'), 1)).toBeUndefined();
  });
});
