import { withRetry } from '@switchboard/bus';
import {
  AgentId,
  CALL_ACTIVITY_MAX_MINUTES,
  CALL_LIST_MAX_LIMIT,
  type Call,
  CallSid,
  CallStatus,
  Direction,
  InvalidRequestError,
  IsoTime,
  MachineDetection,
  PhoneNumber,
  VoicemailMessage,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import { type Request, Router } from 'express';
import { z } from 'zod';
import { TwilioError } from '../errors.js';
import type { GatewayRegistry } from '../registry.js';
import type { PlaceCallRequest, TwilioCalls } from '../twilio-client.js';
import { parseInput } from '../validation.js';
import { AMD_CALLBACK_PATH } from './twilio-amd.js';

export const PlaceCallBody = z
  .strictObject({
    to: PhoneNumber,
    from: PhoneNumber.optional(),
    agentId: AgentId.optional(),
    machineDetection: MachineDetection.optional(),
    voicemailMessage: VoicemailMessage.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.machineDetection === 'leave-message' && body.voicemailMessage === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['voicemailMessage'],
        message: 'is required with machineDetection "leave-message": it is what the agent leaves',
      });
    }
    if (body.voicemailMessage !== undefined && body.machineDetection !== 'leave-message') {
      ctx.addIssue({
        code: 'custom',
        path: ['voicemailMessage'],
        message: 'is only used with machineDetection "leave-message"',
      });
    }
  });

/** What Twilio's machine detection is asked for: the result as soon as it knows, or after the beep. */
const TWILIO_MACHINE_DETECTION = { hangup: 'Enable', 'leave-message': 'DetectMessageEnd' } as const;

const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(CALL_LIST_MAX_LIMIT).optional(),
  cursor: z.string().min(1).max(200).optional(),
  status: CallStatus.optional(),
  // The console's history filters (README: "GET /api/calls filters").
  live: z
    .enum(['true', 'false'])
    .transform((v) => v === 'true')
    .optional(),
  agentId: AgentId.optional(),
  direction: Direction.optional(),
  number: z.string().min(1).max(128).optional(),
  createdFrom: IsoTime.optional(),
  createdTo: IsoTime.optional(),
});

const ActivityQuery = z.strictObject({
  minutes: z.coerce.number().int().min(1).max(CALL_ACTIVITY_MAX_MINUTES).optional(),
});

export interface ApiCallsDeps {
  registry: GatewayRegistry;
  /** Undefined when Twilio credentials are not configured: placing calls is then refused with 503. */
  outbound: TwilioCalls | undefined;
  publicBaseUrl: string;
  /** Caller id when the request names none. */
  defaultFromNumber: string | undefined;
  registryTimeoutMs: number;
  /** All the registry gets to register a call just placed, retries included. */
  registerBudgetMs: number;
  log: Logger;
}

function callSidParam(req: Request): string {
  return parseInput(CallSid, req.params.callSid, 'callSid');
}

/** `/api/calls…`, behind the API key check. */
export function apiCallsRouter(deps: ApiCallsDeps): Router {
  const { registry, registryTimeoutMs: timeoutMs } = deps;
  const router = Router();

  router.post('/calls', async (req, res) => {
    const call = await placeCall(deps, parseInput(PlaceCallBody, req.body ?? {}, 'request body'));
    res.status(201).location(`/api/calls/${call.callSid}`).json(call);
  });

  router.get('/calls', async (req, res) => {
    const query = parseInput(ListQuery, req.query, 'query');
    res.json(await registry.callList(query, { timeoutMs }));
  });

  router.get('/calls/activity', async (req, res) => {
    const query = parseInput(ActivityQuery, req.query, 'query');
    res.json(await registry.callActivity(query, { timeoutMs }));
  });

  router.get('/calls/:callSid', async (req, res) => {
    res.json(await registry.callBySid({ callSid: callSidParam(req) }, { timeoutMs }));
  });

  router.get('/calls/:callSid/transcript', async (req, res) => {
    res.json(await registry.callTranscript({ callSid: callSidParam(req) }, { timeoutMs }));
  });

  return router;
}

/**
 * Checks the agent, places the call with Twilio, then registers it with its agent. Should registration fail
 * all the same, the call, still queued at Twilio, is cancelled: a 201 means placed and registered.
 */
async function placeCall(deps: ApiCallsDeps, body: z.output<typeof PlaceCallBody>): Promise<Call> {
  const { outbound, registry, log } = deps;
  if (outbound === undefined) {
    throw new TwilioError(
      'outbound calls are not configured: set TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN',
      503,
      {},
    );
  }
  const from = body.from ?? deps.defaultFromNumber;
  if (from === undefined) {
    throw new InvalidRequestError('from is required: no TWILIO_FROM_NUMBER is configured');
  }
  if (body.agentId !== undefined) {
    await registry.agentGet({ id: body.agentId }, { timeoutMs: deps.registryTimeoutMs });
  }
  const machineDetection = body.machineDetection ?? 'off';
  const placement: PlaceCallRequest = {
    to: body.to,
    from,
    url: `${deps.publicBaseUrl}/twilio/voice`,
    statusCallback: `${deps.publicBaseUrl}/twilio/status`,
  };
  if (machineDetection !== 'off') {
    placement.machineDetection = {
      mode: TWILIO_MACHINE_DETECTION[machineDetection],
      callback: `${deps.publicBaseUrl}${AMD_CALLBACK_PATH}`,
    };
  }
  const placed = await outbound.placeCall(placement);
  const callLog = log.child({ callSid: placed.callSid });
  callLog.info({ agentId: body.agentId }, 'outbound call placed');
  const create = {
    callSid: placed.callSid,
    direction: 'outbound' as const,
    from,
    to: body.to,
    ...(placed.status === undefined ? {} : { status: placed.status }),
    ...(body.agentId === undefined ? {} : { agentId: body.agentId }),
    ...(machineDetection === 'off' ? {} : { machineDetection }),
    ...(body.voicemailMessage === undefined ? {} : { voicemailMessage: body.voicemailMessage }),
  };
  try {
    return await withRetry((timeoutMs) => registry.callCreate(create, { timeoutMs }), {
      budgetMs: deps.registerBudgetMs,
      attemptTimeoutMs: deps.registryTimeoutMs,
    });
  } catch (err) {
    callLog.warn({ err }, 'outbound call not registered, cancelling it');
    await outbound.cancelCall(placed.callSid).catch((cancelErr: unknown) => {
      callLog.error({ err: cancelErr }, 'outbound call could not be cancelled');
    });
    throw err;
  }
}
