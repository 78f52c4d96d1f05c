import { InvalidRequestError, RegistryTimeoutError, RegistryUnavailableError } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { withinBudget } from '../src/retry.js';

describe('withinBudget', () => {
  it('retries a timeout once within the budget, giving each attempt what is left', async () => {
    const timeouts: number[] = [];
    const result = await withinBudget(3_000, 1_500, async (timeoutMs) => {
      timeouts.push(timeoutMs);
      if (timeouts.length === 1) throw new RegistryTimeoutError();
      return 'ok';
    });
    expect(result).toBe('ok');
    expect(timeouts).toHaveLength(2);
    expect(timeouts[0]).toBe(1_500);
    expect(timeouts[1]).toBeLessThanOrEqual(1_500);
  });

  it('throws the last retryable error once the budget is spent', async () => {
    let attempts = 0;
    await expect(
      withinBudget(300, 1_500, async () => {
        attempts++;
        throw new RegistryUnavailableError();
      }),
    ).rejects.toBeInstanceOf(RegistryUnavailableError);
    expect(attempts).toBeGreaterThanOrEqual(1);
  });

  it('never retries an error that will not change', async () => {
    let attempts = 0;
    await expect(
      withinBudget(3_000, 1_500, async () => {
        attempts++;
        throw new InvalidRequestError('no');
      }),
    ).rejects.toBeInstanceOf(InvalidRequestError);
    expect(attempts).toBe(1);
  });
});
