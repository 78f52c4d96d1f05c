import { headers, type Msg } from '@nats-io/nats-core';
import { ServiceErrorCodeHeader, ServiceErrorHeader } from '@nats-io/services';
import type { SwitchboardError } from '@switchboard/contracts';

/**
 * Answers a request received on a plain subscription (not a services-framework endpoint, e.g. a call's
 * `call.control.<callSid>`) with an error exactly as the framework's endpoints do: the
 * `Nats-Service-Error-Code` / `Nats-Service-Error` headers and the `{"error": {code, message}}` body, which
 * `request()` rebuilds into the same SwitchboardError class on the caller's side.
 */
export function respondWithError(msg: Msg, error: SwitchboardError): boolean {
  const h = headers();
  h.set(ServiceErrorCodeHeader, String(error.status));
  h.set(ServiceErrorHeader, error.message);
  return msg.respond(JSON.stringify(error.toBody()), { headers: h });
}
