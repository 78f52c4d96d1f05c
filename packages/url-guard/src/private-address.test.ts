import { describe, expect, it } from 'vitest';
import { PrivateAddressError } from './errors.js';
import { ipLiteral, isPublicAddress, publicOnlyLookup, refusedHost } from './private-address.js';

describe('which addresses a user-given URL may reach', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '169.254.169.254', // cloud metadata
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '192.0.2.10',
    '::',
    '::1',
    'fe80::1',
    'fc00::1',
    'fd12:3456::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a00:1',
    '2002:a00:1::1',
    '2001:db8::1',
    'ff02::1',
    'not an address',
  ])('%s is not public', (address) => {
    expect(isPublicAddress(address)).toBe(false);
  });

  it.each(['8.8.8.8', '1.1.1.1', '203.0.114.1', '2001:4860:4860::8888', '2606:4700::1111', '::ffff:8.8.8.8'])(
    '%s is public',
    (address) => {
      expect(isPublicAddress(address)).toBe(true);
    },
  );

  it('reads IP literals of URL hosts, IPv6 in brackets; names are not', () => {
    expect(ipLiteral('[::1]')).toBe('::1');
    expect(ipLiteral('10.0.0.1')).toBe('10.0.0.1');
    expect(ipLiteral('tools.example.com')).toBeUndefined();
  });

  it('refuses non-public IP literals and localhost names without DNS; other names wait for the lookup', () => {
    expect(refusedHost('127.0.0.1')?.address).toBe('127.0.0.1');
    expect(refusedHost('[::1]')?.address).toBe('::1');
    expect(refusedHost('LOCALHOST')).toBeDefined();
    expect(refusedHost('api.localhost.')).toBeDefined();
    expect(refusedHost('8.8.8.8')).toBeUndefined();
    expect(refusedHost('hooks.example.com')).toBeUndefined();
  });

  it('refuses, at connection time, a name the resolver answers with a loopback address', async () => {
    const err = await new Promise<unknown>((resolve) => publicOnlyLookup('localhost', {}, (e) => resolve(e)));
    expect(err).toBeInstanceOf(PrivateAddressError);
    expect((err as PrivateAddressError).address).toMatch(/^(127\.|::1)/);
  });
});
