import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import { PrivateAddressError } from './errors.js';

/**
 * Whether an IP address is a public one: global unicast, IPv4 or IPv6, an IPv4-mapped IPv6 address judged
 * as its IPv4 address. Loopback, private (RFC 1918, unique-local), link-local, carrier-grade NAT, multicast,
 * reserved, documentation and transition ranges (NAT64, 6to4, Teredo, which carry an IPv4 address inside)
 * are not: a user-given URL (a tool, a webhook) must not reach into the service's own network (server-side
 * request forgery).
 * The ranges are ipaddr.js's, which tracks the IANA special-purpose registries.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/** The host of a URL as an IP literal (`[::1]` → `::1`), or undefined for a name. */
export function ipLiteral(hostname: string): string | undefined {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) === 0 ? undefined : bare;
}

/**
 * A DNS lookup for HTTP requests that refuses a name when ANY of its addresses is not public, so that the
 * address checked is the address connected to (no second resolution a DNS rebinding could answer
 * differently). Node calls it with `all: true` (happy eyeballs) or without.
 */
export const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) {
      callback(err, '');
      return;
    }
    const refused = addresses.find((a) => !isPublicAddress(a.address));
    if (refused !== undefined || addresses.length === 0) {
      callback(new PrivateAddressError(hostname, refused?.address ?? 'none'), '');
      return;
    }
    if (options.all) callback(null, addresses);
    else callback(null, (addresses[0] as LookupAddress).address, (addresses[0] as LookupAddress).family);
  });
};

/**
 * What can be said of a URL's host without DNS: a PrivateAddressError for an IP literal that is not public
 * or for `localhost` (and its subdomains, which resolvers answer with loopback), else undefined. Names are
 * judged again at connection time by `publicOnlyLookup`.
 */
export function refusedHost(hostname: string): PrivateAddressError | undefined {
  const literal = ipLiteral(hostname);
  if (literal !== undefined)
    return isPublicAddress(literal) ? undefined : new PrivateAddressError(hostname, literal);
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost'))
    return new PrivateAddressError(hostname, 'loopback');
  return undefined;
}
