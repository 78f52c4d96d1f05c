import { withRetry } from '@switchboard/bus';
import {
  type BatchAttemptRef,
  BatchAttemptRef as BatchAttemptRefSchema,
  type Call,
  type MachineDetection,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { GatewayRegistry } from './registry.js';
import { AMD_CALLBACK_PATH } from './routes/twilio-amd.js';
import type { PlaceCallRequest, TwilioCalls } from './twilio-client.js';

export interface OutboundDeps {
  registry: Pick<GatewayRegistry, 'callCreate'>;
  twilio: TwilioCalls;
  publicBaseUrl: string;
  registryTimeoutMs: number;
  /** All the registry gets to register a call just placed, retries included. */
  registerBudgetMs: number;
  log: Logger;
}

export interface OutboundCall {
  to: string;
  from: string;
  agentId?: string | undefined;
  /** A batch call's attempt: named in the callbacks' URLs, so Twilio's callbacks say which attempt they are. */
  batch?: BatchAttemptRef | undefined;
  /** Asynchronous answering machine detection (`off` by default), and the message `leave-message` leaves. */
  machineDetection?: MachineDetection | undefined;
  voicemailMessage?: string | undefined;
}

/** What Twilio's machine detection is asked for: the result as soon as it knows, or after the beep. */
const TWILIO_MACHINE_DETECTION = { hangup: 'Enable', 'leave-message': 'DetectMessageEnd' } as const;

/** `?batch=…&call=…&attempt=…` on Twilio's callback URLs for a batch call (covered by Twilio's signature). */
export function batchQuery(ref: BatchAttemptRef | undefined): string {
  if (ref === undefined) return '';
  return `?${new URLSearchParams({ batch: ref.batchId, call: String(ref.index), attempt: String(ref.attempt) })}`;
}

/** The batch attempt a callback's query names, if it names a valid one. */
export function batchRefFromQuery(query: Record<string, unknown>): BatchAttemptRef | undefined {
  if (query.batch === undefined) return undefined;
  const parsed = BatchAttemptRefSchema.safeParse({
    batchId: query.batch,
    index: Number(query.call),
    attempt: Number(query.attempt),
  });
  return parsed.success ? parsed.data : undefined;
}

export type RegistrationFailure = 'cancel' | 'keep';

/**
 * Places the call with Twilio, then registers it with its agent: `POST /api/calls` and the batch dispatcher
 * alike. Should registration fail all the same, `onUnregistered` says what becomes of the placed call:
 * `cancel` (a 201 means placed and registered), or `keep` (a batch call: its callbacks name its attempt, so
 * the registry learns of it from them, and /twilio/voice registers it once answered).
 */
export async function placeOutboundCall(
  deps: OutboundDeps,
  call: OutboundCall,
  onUnregistered: RegistrationFailure = 'cancel',
): Promise<Call> {
  const { twilio, registry, log } = deps;
  const query = batchQuery(call.batch);
  const machineDetection = call.machineDetection ?? 'off';
  const placement: PlaceCallRequest = {
    to: call.to,
    from: call.from,
    url: `${deps.publicBaseUrl}/twilio/voice${query}`,
    statusCallback: `${deps.publicBaseUrl}/twilio/status${query}`,
  };
  if (machineDetection !== 'off') {
    placement.machineDetection = {
      mode: TWILIO_MACHINE_DETECTION[machineDetection],
      callback: `${deps.publicBaseUrl}${AMD_CALLBACK_PATH}`,
    };
  }
  const placed = await twilio.placeCall(placement);
  const callLog = log.child({ callSid: placed.callSid });
  callLog.info({ agentId: call.agentId, batch: call.batch }, 'outbound call placed');
  const create = {
    callSid: placed.callSid,
    direction: 'outbound' as const,
    from: call.from,
    to: call.to,
    ...(placed.status === undefined ? {} : { status: placed.status }),
    ...(call.agentId === undefined ? {} : { agentId: call.agentId }),
    ...(call.batch === undefined ? {} : { batch: call.batch }),
    ...(machineDetection === 'off' ? {} : { machineDetection }),
    ...(call.voicemailMessage === undefined ? {} : { voicemailMessage: call.voicemailMessage }),
  };
  try {
    return await withRetry((timeoutMs) => registry.callCreate(create, { timeoutMs }), {
      budgetMs: deps.registerBudgetMs,
      attemptTimeoutMs: deps.registryTimeoutMs,
    });
  } catch (err) {
    if (onUnregistered === 'keep') {
      callLog.warn({ err }, 'outbound batch call not registered: its callbacks will tell the registry');
      throw err;
    }
    callLog.warn({ err }, 'outbound call not registered, cancelling it');
    await twilio.cancelCall(placed.callSid).catch((cancelErr: unknown) => {
      callLog.error({ err: cancelErr }, 'outbound call could not be cancelled');
    });
    throw err;
  }
}
