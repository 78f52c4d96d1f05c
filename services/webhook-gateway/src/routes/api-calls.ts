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
import { placeOutboundCall } from '../outbound.js';
import type { GatewayRegistry } from '../registry.js';
import type { TwilioCalls } from '../twilio-client.js';
import { parseInput } from '../validation.js';

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

/** Checks the agent, then places and registers the call (`placeOutboundCall`). */
async function placeCall(deps: ApiCallsDeps, body: z.output<typeof PlaceCallBody>): Promise<Call> {
  const { outbound, registry } = deps;
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
  return placeOutboundCall(
    { ...deps, twilio: outbound },
    {
      to: body.to,
      from,
      agentId: body.agentId,
      machineDetection: body.machineDetection,
      voicemailMessage: body.voicemailMessage,
    },
  );
}
