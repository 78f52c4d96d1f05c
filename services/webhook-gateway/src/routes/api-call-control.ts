import {
  type Call,
  CallControlReply,
  CallControlRequest,
  CallEndedError,
  CallNotLiveError,
  CallSid,
  callControlSubject,
  TERMINAL_STATUSES,
} from '@switchboard/contracts';
import { type Request, Router } from 'express';
import { z } from 'zod';
import type { GatewayRegistry } from '../registry.js';
import { parseInput } from '../validation.js';

/** Sends a request to the worker holding a call's stream (`call.control.<callSid>`). */
export type CallController = (callSid: string, request: CallControlRequest) => Promise<CallControlReply>;

export interface ApiCallControlDeps {
  registry: GatewayRegistry;
  control: CallController;
  registryTimeoutMs: number;
}

const ACTIONS = ['hangup', 'transfer', 'say'] as const;

/** A body is an object of the action's fields (CallControlRequest's); the action itself is the path's. */
const ControlBody = z
  .record(z.string(), z.unknown())
  .refine((body) => !Object.hasOwn(body, 'action'), { path: ['action'], message: 'is given by the path' });

/** Whether the call is over as far as the registry knows: a terminal status, or an end time. */
export function hasEnded(call: Call): boolean {
  return TERMINAL_STATUSES.has(call.status) || call.endedAt !== null;
}

function callSidParam(req: Request): string {
  return parseInput(CallSid, req.params.callSid, 'callSid');
}

/**
 * `POST /api/calls/:callSid/{hangup,transfer,say}` (SPEC "Live control"), behind the API key check: 400 for a
 * bad body, 404 for an unknown call, 409 for one that has ended, 404 `CALL_NOT_LIVE` when no worker holds its
 * stream, 202 once the worker holding it took the request — whichever gateway and worker replicas these are.
 */
export function apiCallControlRouter({ registry, control, registryTimeoutMs }: ApiCallControlDeps): Router {
  const router = Router();
  for (const action of ACTIONS) {
    router.post(`/calls/:callSid/${action}`, async (req, res) => {
      const callSid = callSidParam(req);
      const fields = parseInput(ControlBody, req.body ?? {}, 'request body');
      const request = parseInput(CallControlRequest, { ...fields, action }, 'request body');
      const call = await registry.callBySid({ callSid }, { timeoutMs: registryTimeoutMs });
      if (hasEnded(call)) throw new CallEndedError(`call ${callSid} has ended`, { callSid });
      res.status(202).json(await control(callSid, request));
    });
  }
  return router;
}

/** Why no worker answered: none holds the call's stream (it is not live here, or not yet, or not any more). */
export function callNotLive(callSid: string, cause: unknown): CallNotLiveError {
  return new CallNotLiveError(`no media worker holds the stream of call ${callSid}`, { callSid, cause });
}

/** `call.control.<callSid>` as a typed request. */
export function callControlSpec(callSid: string) {
  return { subject: callControlSubject(callSid), request: CallControlRequest, reply: CallControlReply };
}
