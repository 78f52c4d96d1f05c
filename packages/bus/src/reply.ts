import { headers, type Msg } from '@nats-io/nats-core';
import { ServiceErrorCodeHeader, ServiceErrorHeader } from '@nats-io/services';
import type { SwitchboardError } from '@switchboard/contracts';

/** The most of an error message the `Nats-Service-Error` header carries; the body has all of it. */
export const ERROR_HEADER_MAX_CHARS = 512;

/**
 * An error message as a header value: NATS refuses CR and LF in headers (nats.js throws), and a message can
 * quote what a client sent. Control characters become spaces; the whole message stays in the JSON body.
 */
export function headerText(message: string): string {
  let text = '';
  for (const char of message.slice(0, ERROR_HEADER_MAX_CHARS)) {
    const c = char.codePointAt(0) ?? 0;
    text += c < 0x20 || c === 0x7f ? ' ' : char;
  }
  return text;
}

/**
 * Answers a request received on a plain subscription (not a services-framework endpoint, e.g. a call's
 * `call.control.<callSid>`) with an error exactly as the framework's endpoints do: the
 * `Nats-Service-Error-Code` / `Nats-Service-Error` headers and the `{"error": {code, message}}` body, which
 * `request()` rebuilds into the same SwitchboardError class on the caller's side.
 */
export function respondWithError(msg: Msg, error: SwitchboardError): boolean {
  const h = headers();
  h.set(ServiceErrorCodeHeader, String(error.status));
  h.set(ServiceErrorHeader, headerText(error.message));
  return msg.respond(JSON.stringify(error.toBody()), { headers: h });
}
