// The public face of @switchboard/url-guard: what a service that fetches a user-given URL checks it with
// (the media worker's tools, the notifier's webhooks; the gateway at webhook creation).
export { PrivateAddressError } from './errors.js';
export { ipLiteral, isPublicAddress, publicOnlyLookup, refusedHost } from './private-address.js';
