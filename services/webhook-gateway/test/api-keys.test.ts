import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { bearerToken, matchesApiKey } from '../src/api-keys.js';

const digests = ['key-one', 'key-two'].map((k) => createHash('sha256').update(k).digest());

describe('API keys', () => {
  it('reads the token of a Bearer header only', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('matches any configured key, and nothing else', () => {
    expect(matchesApiKey(digests, 'key-one')).toBe(true);
    expect(matchesApiKey(digests, 'key-two')).toBe(true);
    expect(matchesApiKey(digests, 'key-on')).toBe(false);
    expect(matchesApiKey(digests, 'key-one-and-more')).toBe(false);
    expect(matchesApiKey([], 'key-one')).toBe(false);
  });
});
