import { DatabaseUnavailableError } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import { CONNECTION_LOST_RETRY_DELAYS_MS, withDbRetry } from '../src/db/retry.js';

const killed = () =>
  Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });

describe('withDbRetry', () => {
  it('retries a killed connection four times, then answers 503', async () => {
    expect(CONNECTION_LOST_RETRY_DELAYS_MS).toHaveLength(4);
    let attempts = 0;
    const err = await withDbRetry(async () => {
      attempts++;
      throw killed();
    }).catch((e: unknown) => e);
    expect(attempts).toBe(5);
    expect(err).toBeInstanceOf(DatabaseUnavailableError);
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
