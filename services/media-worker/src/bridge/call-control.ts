import { type Agent, type CallControlRequest, PhoneNumber } from '@switchboard/contracts';
import { type ResponseRequest, sayResponse, voicemailResponse } from './prompts.js';
import type { TransferPlan } from './transfer-flow.js';
import type { ControlAnswer } from './types.js';

export type ControlAction =
  | { kind: 'hangup' }
  | { kind: 'say'; response: ResponseRequest }
  /** A machine answered: the agent stops, leaves the message, hangs up. */
  | { kind: 'voicemail'; response: ResponseRequest }
  | { kind: 'transfer'; plan: TransferPlan };

const NOT_LIVE_WORDS = {
  ending: 'the call is ending',
  transferring: 'the call is being transferred',
  ended: 'the call has ended',
} as const;

/**
 * Live control of the call by an operator (`call.control.<callSid>`, SPEC "Live control"): what a request
 * means for this call, and the answer it gets. Requests that arrive while the call is still being looked up
 * wait for the lookup.
 */
export class CallControl {
  private early: Array<{ requestId: number; request: CallControlRequest }> = [];

  constructor(private readonly agent: () => Agent | undefined) {}

  defer(requestId: number, request: CallControlRequest): void {
    this.early.push({ requestId, request });
  }

  takeEarly(): Array<{ requestId: number; request: CallControlRequest }> {
    return this.early.splice(0);
  }

  /** 409 `CALL_ENDED`: the call cannot be controlled any more. */
  ended(why: keyof typeof NOT_LIVE_WORDS): ControlAnswer {
    return { accepted: false, code: 'CALL_ENDED', message: NOT_LIVE_WORDS[why] };
  }

  /** What to do about `request`, and its answer; `notLive` says why the call takes no more requests. */
  decide(
    request: CallControlRequest,
    notLive: 'ending' | 'transferring' | 'ended' | undefined,
  ): { answer: ControlAnswer; action?: ControlAction } {
    if (notLive !== undefined) return { answer: this.ended(notLive) };
    const accepted: ControlAnswer = { accepted: true };
    switch (request.action) {
      case 'hangup':
        return { answer: accepted, action: { kind: 'hangup' } };
      case 'say':
        return { answer: accepted, action: { kind: 'say', response: sayResponse(request.text) } };
      case 'voicemail':
        return { answer: accepted, action: { kind: 'voicemail', response: voicemailResponse(request.text) } };
      case 'transfer': {
        const target = this.agent()?.transferTargets?.find((t) => t.name === request.target);
        if (target !== undefined) {
          const plan: TransferPlan = { target: target.name, to: target.to, by: 'operator' };
          return { answer: accepted, action: { kind: 'transfer', plan } };
        }
        if (PhoneNumber.safeParse(request.target).success) {
          const plan: TransferPlan = { target: request.target, to: request.target, by: 'operator' };
          return { answer: accepted, action: { kind: 'transfer', plan } };
        }
        const message = `"${request.target}" is neither a transfer target of the call's agent nor an E.164 number`;
        return { answer: { accepted: false, code: 'INVALID_REQUEST', message } };
      }
    }
  }
}
