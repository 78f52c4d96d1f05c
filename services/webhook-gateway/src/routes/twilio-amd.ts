import { withRetry } from '@switchboard/bus';
import {
  CallEndedError,
  type CallMachineDetectionReply,
  CallNotFoundError,
  CallNotLiveError,
  InvalidRequestError,
  MACHINE_ANSWERS,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { RequestHandler } from 'express';
import {
  AmdCallbackParams,
  answeredByEventFromCallback,
  answeredByMessageId,
} from '../recordings/callback-params.js';
import type { GatewayRegistry } from '../registry.js';
import { type StoreEventDeps, storeEvent } from '../store-event.js';
import type { TwilioCalls } from '../twilio-client.js';
import { apologyTwiml } from '../twiml.js';
import { fieldIssues } from '../validation.js';
import type { CallController } from './api-call-control.js';

/** The path of Twilio's asynchronous AMD callback, under PUBLIC_BASE_URL. */
export const AMD_CALLBACK_PATH = '/twilio/amd';

export interface AmdRouteDeps extends StoreEventDeps {
  registry: GatewayRegistry;
  registryTimeoutMs: number;
  /** All the registry gets, retries included, to say what the call does on a machine. */
  registryBudgetMs: number;
  calls: TwilioCalls | undefined;
  control: CallController;
}

export type MachineAction = 'none' | 'hangup' | 'voicemail' | 'say-fallback';

/**
 * `POST /twilio/amd` (signature already checked): Twilio's asynchronous answering machine detection. The
 * result is stored first (an `answered-by` event: the Call's `answeredBy`), then, on a machine, what the call
 * was placed to do (`call.machineDetection`, kept by the registry since `POST /api/calls`):
 * - `hangup` (and a fax, whatever was asked): Twilio's REST API ends the call at once — the gateway holds the
 *   credentials, and it works whether or not a worker holds the stream yet;
 * - `leave-message`: the worker holding the stream is told (`voicemail` on `call.control.<callSid>`): the
 *   agent stops, says the message, and hangs up. When no worker holds it, Twilio says the message itself
 *   (`<Say>` then `<Hangup/>`), so the message is still left.
 * A person answering changes nothing: detection ran beside the call, the agent was talking all along.
 * 204 once the result is stored (503 when it could not be, for Twilio's retry); a failed action is logged
 * and counted, and the call goes on.
 */
export function twilioAmdHandler(deps: AmdRouteDeps): RequestHandler {
  return async (req, res) => {
    const params = AmdCallbackParams.safeParse(req.body ?? {});
    if (!params.success) {
      throw new InvalidRequestError('not an AMD callback', { details: fieldIssues(params.error) });
    }
    const { CallSid: callSid, AnsweredBy: answeredBy } = params.data;
    await storeEvent(
      deps,
      answeredByEventFromCallback(params.data, new Date()),
      answeredByMessageId(params.data),
    );
    const log = deps.log.child({ callSid });
    if (!MACHINE_ANSWERS.has(answeredBy)) {
      deps.metrics.machineAnswers.inc({ action: 'none', outcome: 'ok' });
      log.info({ answeredBy }, 'machine detection: not a machine, the call goes on');
      res.status(204).end();
      return;
    }
    let action: MachineAction = 'none';
    try {
      action = await onMachine(deps, callSid, answeredBy, log);
      deps.metrics.machineAnswers.inc({ action, outcome: 'ok' });
    } catch (err) {
      deps.metrics.machineAnswers.inc({ action: 'unknown', outcome: 'failed' });
      log.error({ err, answeredBy }, 'machine detection: what the call does on a machine failed');
    }
    res.status(204).end();
  };
}

async function onMachine(
  deps: AmdRouteDeps,
  callSid: string,
  answeredBy: string,
  log: Logger,
): Promise<MachineAction> {
  let settings: CallMachineDetectionReply;
  try {
    settings = await withRetry(
      (timeoutMs) => deps.registry.callMachineDetection({ callSid }, { timeoutMs }),
      { budgetMs: deps.registryBudgetMs, attemptTimeoutMs: deps.registryTimeoutMs },
    );
  } catch (err) {
    // Not a call switchboard placed (Twilio sends results only for calls it was asked to detect on).
    if (!(err instanceof CallNotFoundError)) throw err;
    log.warn({ answeredBy }, 'machine detection result for a call the registry does not know: ignored');
    return 'none';
  }
  const { machineDetection, voicemailMessage } = settings;
  if (machineDetection === 'off') {
    log.warn({ answeredBy }, 'machine detection result for a call placed without it: ignored');
    return 'none';
  }
  const calls = deps.calls;
  if (calls === undefined) throw new Error('Twilio is not configured');
  if (machineDetection === 'hangup' || answeredBy === 'fax' || voicemailMessage === null) {
    await calls.hangupCall(callSid).catch((err: unknown) => {
      if (!(err instanceof CallEndedError)) throw err;
    });
    log.info({ answeredBy }, 'a machine answered: hung up');
    return 'hangup';
  }
  try {
    await deps.control(callSid, { action: 'voicemail', text: voicemailMessage });
    log.info({ answeredBy }, 'a machine answered: the agent leaves the message');
    return 'voicemail';
  } catch (err) {
    if (err instanceof CallEndedError) {
      log.info({ answeredBy }, 'a machine answered a call that is ending: nothing left to do');
      return 'none';
    }
    if (!(err instanceof CallNotLiveError)) throw err;
  }
  // apologyTwiml says a message and hangs up: here the voicemail message, in Twilio's voice.
  await calls.redirectCall(callSid, apologyTwiml(voicemailMessage));
  log.warn({ answeredBy }, 'a machine answered and no worker holds the stream: Twilio says the message');
  return 'say-fallback';
}
