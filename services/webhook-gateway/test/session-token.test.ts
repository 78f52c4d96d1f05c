import { describe, expect, it } from 'vitest';
import { nextPage } from '../src/console/console-router.js';
import { readCookie } from '../src/console/cookies.js';
import { SessionTokens } from '../src/console/session-token.js';

const HOUR = 3_600_000;

describe('console session tokens', () => {
  it('verify while unexpired, for a configured key only, and hold nothing of the key', () => {
    const tokens = new SessionTokens(['key-one', 'key-two'], HOUR);
    const { token, expiresAtMs } = tokens.issue('key-two', 1_000_000);
    expect(token).not.toContain('key-two');
    expect(expiresAtMs).toBe(1_000_000 + HOUR);
    expect(tokens.verify(token, 1_000_000)).toBe(true);
    expect(tokens.verify(token, expiresAtMs - 1)).toBe(true);
    expect(tokens.verify(token, expiresAtMs)).toBe(false);
    // The key removed from API_KEYS: its sessions end.
    expect(new SessionTokens(['key-one'], HOUR).verify(token, 1_000_000)).toBe(false);
    // A changed expiry or signature.
    const [v, exp, nonce, mac] = token.split('.') as [string, string, string, string];
    expect(tokens.verify([v, String(Number(exp) + 1), nonce, mac].join('.'), 1_000_000)).toBe(false);
    expect(tokens.verify([v, exp, nonce, `${mac.slice(0, -1)}A`].join('.'), 1_000_000)).toBe(
      mac.endsWith('A'),
    );
    expect(tokens.verify('garbage', 1_000_000)).toBe(false);
  });

  it('reads one cookie of a Cookie header, and sends sign-ins only to console pages', () => {
    expect(readCookie('a=1; b=2', 'b')).toBe('2');
    expect(readCookie('a=1', 'b')).toBeUndefined();
    expect(readCookie('b=1; b=2', 'b')).toBeUndefined();
    expect(nextPage('/console/calls/CA1')).toBe('/console/calls/CA1');
    expect(nextPage('https://evil.example.com')).toBe('/console/live');
    expect(nextPage('/console//evil.example.com')).toBe('/console/live');
    expect(nextPage(undefined)).toBe('/console/live');
  });
});
