import type { CallEvents } from './call-events.js';
import type { BridgeOutput } from './types.js';

/** A transfer to carry out: who to, and who asked (the model's `transfer_call`, or an operator). */
export interface TransferPlan {
  /** The target's name (or the number, when an operator gave one). */
  target: string;
  to: string;
  reason?: string;
  /** The model's `transfer_call`, answered if Twilio refuses. */
  callId?: string;
  by: 'agent' | 'operator';
}

/**
 * The transfer of the call to a person (DESIGN-10 §5), for the bridge while it is `transferring`: the last
 * words play out, then the gateway is asked (`twilio.call.transfer`, published as an `event` segment), then
 * Twilio takes the call and stops the stream — or refuses, and the call goes on.
 */
export class TransferFlow {
  private plan: TransferPlan | undefined;
  private stage: 'playout' | 'requested' | 'accepted' | undefined;
  private count = 0;

  constructor(
    private readonly events: CallEvents,
    private readonly callSid: () => string,
  ) {}

  /** The last words are playing: the transfer is asked for once they have. */
  get waitingForPlayout(): boolean {
    return this.stage === 'playout';
  }

  get requested(): boolean {
    return this.stage === 'requested';
  }

  /** Twilio is taking the call, or has: the stream's end is the transfer's. */
  get taken(): boolean {
    return this.stage === 'requested' || this.stage === 'accepted';
  }

  begin(plan: TransferPlan): void {
    this.plan = plan;
    this.stage = 'playout';
  }

  /** The last words have played: the gateway is asked to hand the call over. */
  request(now: number): BridgeOutput[] {
    const plan = this.plan;
    if (plan === undefined) return [];
    this.stage = 'requested';
    const text =
      plan.by === 'agent'
        ? `transfer to ${plan.target} requested by the agent${plan.reason ? `: ${plan.reason}` : ''}`
        : `transfer to ${plan.target} requested by an operator`;
    return [
      { to: 'clear-timer', timer: 'goodbye-playout' },
      { to: 'transfer', request: { callSid: this.callSid(), to: plan.to, target: plan.target } },
      ...this.events.streamSegment('event', `transfer-${++this.count}`, text, now),
    ];
  }

  /** Twilio took it: the plan, whose `callId` needs no answer now. */
  accepted(): TransferPlan | undefined {
    this.stage = 'accepted';
    return this.plan;
  }

  /** Twilio refused: the plan and what to say about it (an `event` segment); the call goes on. */
  refused(
    reason: string,
    now: number,
  ): { plan: TransferPlan; text: string; out: BridgeOutput[] } | undefined {
    const plan = this.plan;
    this.plan = undefined;
    this.stage = undefined;
    if (plan === undefined) return undefined;
    const text = `the transfer to ${plan.target} could not be made: ${reason}`;
    const out: BridgeOutput[] = [
      { to: 'log', level: 'warn', message: 'transfer refused', fields: { target: plan.target, reason } },
      ...this.events.streamSegment('event', `transfer-${this.count}-refused`, text, now),
    ];
    return { plan, text, out };
  }
}
