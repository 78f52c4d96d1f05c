import { DatabaseUnavailableError } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import {
  CONNECTION_LOST_RETRY_BUDGET_MS,
  CONNECTION_LOST_RETRY_DELAYS_MS,
  withDbRetry,
} from '../src/db/retry.js';

const killed = () =>
  Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

describe('withDbRetry', () => {
  it('retries a killed connection with growing pauses for CONNECTION_LOST_RETRY_BUDGET_MS, then answers 503', async () => {
    const attempts: number[] = [];
    const started = performance.now();
    const err = await withDbRetry(async () => {
      attempts.push(performance.now() - started);
      throw killed();
    }).catch((e: unknown) => e);
    const gaveUpAfter = performance.now() - started;
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
    // 1, 10, 50, then 200 ms apart: ~10 attempts in a 2 s budget, never past it.
    expect(attempts.length).toBeGreaterThanOrEqual(CONNECTION_LOST_RETRY_DELAYS_MS.length + 2);
    expect(gaveUpAfter).toBeLessThanOrEqual(CONNECTION_LOST_RETRY_BUDGET_MS + 100);
    const gaps = attempts.slice(1).map((at, i) => at - (attempts[i] as number));
    const last = CONNECTION_LOST_RETRY_DELAYS_MS.at(-1) as number;
    for (const gap of gaps.slice(CONNECTION_LOST_RETRY_DELAYS_MS.length))
      expect(gap).toBeGreaterThanOrEqual(last - 5);
  });

  it('returns what the last attempt got', async () => {
    let attempts = 0;
    const result = await withDbRetry(async () => {
      if (++attempts < 5) throw killed();
      return 'row';
    });
    expect(result).toBe('row');
  });

  it('never repeats an operation that failed for another reason', async () => {
    let attempts = 0;
    const syntax = Object.assign(new Error('syntax error'), { code: '42601' });
    await expect(
      withDbRetry(async () => {
        attempts++;
        throw syntax;
      }),
    ).rejects.toBe(syntax);
    expect(attempts).toBe(1);
  });
});
