import { type NatsConnection, NoRespondersError, RequestError, TimeoutError } from '@nats-io/nats-core';
import { ServiceErrorCodeHeader, ServiceErrorHeader } from '@nats-io/services';
import {
  ENDPOINTS,
  type EndpointSpec,
  errorFromWire,
  InternalError,
  RegistryTimeoutError,
  RegistryUnavailableError,
  SwitchboardError,
} from '@switchboard/contracts';
import type { z } from 'zod';
import { decodeJson } from './wire.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 2_000;

export interface RequestOptions {
  timeoutMs?: number;
  /**
   * What a request nobody serves becomes: by default a RegistryUnavailableError (a service restarting). For
   * a subject served only while something is live (a call's `call.control.<callSid>`), say what that means.
   */
  noResponders?: (subject: string, cause: unknown) => SwitchboardError;
}

/**
 * Sends a request to a service endpoint and returns its reply, validated against the endpoint's schema.
 * Service errors come back as the same SwitchboardError classes the service threw; a request nobody
 * serves is a RegistryUnavailableError, one nobody answered in time a RegistryTimeoutError.
 */
export async function request<Req extends z.ZodType, Rep extends z.ZodType>(
  nc: NatsConnection,
  spec: EndpointSpec<Req, Rep>,
  payload: z.input<Req>,
  { timeoutMs = DEFAULT_REQUEST_TIMEOUT_MS, noResponders }: RequestOptions = {},
): Promise<z.output<Rep>> {
  let msg: Awaited<ReturnType<NatsConnection['request']>>;
  try {
    msg = await nc.request(spec.subject, JSON.stringify(payload), { timeout: timeoutMs });
  } catch (err) {
    if (noResponders && isNoResponders(err)) throw noResponders(spec.subject, err);
    throw requestFailure(spec.subject, err);
  }
  const code = msg.headers?.get(ServiceErrorCodeHeader);
  const body = decodeJson(msg.data);
  if (code) {
    throw errorFromWire(Number(code), body.ok ? body.value : undefined, msg.headers?.get(ServiceErrorHeader));
  }
  if (!body.ok) throw new InternalError(`${spec.subject} replied with malformed JSON`);
  const parsed = spec.reply.safeParse(body.value);
  if (!parsed.success) {
    throw new InternalError(`${spec.subject} replied with an unexpected shape`, { cause: parsed.error });
  }
  return parsed.data;
}

function requestFailure(subject: string, err: unknown): SwitchboardError {
  if (err instanceof SwitchboardError) return err;
  if (isNoResponders(err)) {
    return new RegistryUnavailableError(`nobody serves ${subject}`, { cause: err });
  }
  if (err instanceof TimeoutError || (err instanceof RequestError && err.cause instanceof TimeoutError)) {
    return new RegistryTimeoutError(`${subject} did not answer in time`, { cause: err });
  }
  return new RegistryUnavailableError(`${subject} failed: ${(err as Error).message}`, { cause: err });
}

/** nats.js' own ways of saying nobody serves the subject. */
export function isNoResponders(err: unknown): boolean {
  return (
    err instanceof NoRespondersError ||
    (err instanceof RequestError && err.isNoResponders()) ||
    (err instanceof Error && err.cause instanceof NoRespondersError)
  );
}

export type RegistryClient = ReturnType<typeof registryClient>;

/** Typed calls to every call-registry endpoint. */
export function registryClient(nc: NatsConnection, options: RequestOptions = {}) {
  const call =
    <Req extends z.ZodType, Rep extends z.ZodType>(spec: EndpointSpec<Req, Rep>) =>
    (payload: z.input<Req>, perCall: RequestOptions = {}) =>
      request(nc, spec, payload, { ...options, ...perCall });
  return {
    callBySid: call(ENDPOINTS.callBySid),
    callCreate: call(ENDPOINTS.callCreate),
    callList: call(ENDPOINTS.callList),
    callTranscript: call(ENDPOINTS.callTranscript),
    callActivity: call(ENDPOINTS.callActivity),
    callMachineDetection: call(ENDPOINTS.callMachineDetection),
    callReport: call(ENDPOINTS.callReport),
    agentUpsert: call(ENDPOINTS.agentUpsert),
    agentPut: call(ENDPOINTS.agentPut),
    agentGet: call(ENDPOINTS.agentGet),
    agentList: call(ENDPOINTS.agentList),
    agentDelete: call(ENDPOINTS.agentDelete),
    registryHealth: call(ENDPOINTS.registryHealth),
    batchCreate: call(ENDPOINTS.batchCreate),
    batchAddCalls: call(ENDPOINTS.batchAddCalls),
    batchGet: call(ENDPOINTS.batchGet),
    batchCancel: call(ENDPOINTS.batchCancel),
    batchClaim: call(ENDPOINTS.batchClaim),
    batchAttemptFailed: call(ENDPOINTS.batchAttemptFailed),
    webhookCreate: call(ENDPOINTS.webhookCreate),
    webhookList: call(ENDPOINTS.webhookList),
    webhookGet: call(ENDPOINTS.webhookGet),
    webhookDelete: call(ENDPOINTS.webhookDelete),
    webhookActive: call(ENDPOINTS.webhookActive),
    webhookFailedAdd: call(ENDPOINTS.webhookFailedAdd),
    webhookFailedList: call(ENDPOINTS.webhookFailedList),
    webhookFailedRemove: call(ENDPOINTS.webhookFailedRemove),
  };
}
