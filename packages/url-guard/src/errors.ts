/** A URL whose host is, or resolves to, an address that is not public (loopback, private, link-local…). */
export class PrivateAddressError extends Error {
  override readonly name = 'PrivateAddressError';
  readonly code = 'PRIVATE_ADDRESS';

  constructor(
    readonly host: string,
    readonly address: string,
  ) {
    super(`${host} is a private, loopback or link-local address (${address})`);
  }
}
