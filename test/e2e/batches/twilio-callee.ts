import { setTimeout as sleep } from 'node:timers/promises';
import { type FakeTwilioCall, type FakeTwilioRest, signedTwilioRequest } from '@switchboard/testkit';

/**
 * What a callee does with one attempt: answer and talk for `talkMs`, or be busy. `finalCallbackLost`: the call
 * ends at Twilio but its `completed` callback never arrives (switchboard must ask Twilio).
 */
export type CalleeAnswer = { kind: 'answer'; talkMs: number; finalCallbackLost?: boolean } | { kind: 'busy' };

export interface TwilioCalleesOptions {
  fake: FakeTwilioRest;
  authToken: string;
  /** The gateways a load balancer in front of PUBLIC_BASE_URL would reach, asked for each webhook. */
  gateways: () => readonly string[];
  /** The callee's answer to its `attempt`-th call (1 for the first). */
  answer: (to: string, attempt: number) => CalleeAnswer;
}

/**
 * Plays Twilio and the callees for every call the fake creates: `initiated` at once, then `in-progress` with
 * the voice webhook and `completed` after the talk, or `busy` — each callback form-encoded and signed for the
 * URL the gateway gave Twilio, sent to one of the live gateways (another one, and again, when it fails, as
 * Twilio retries through a load balancer). The fake's call moves to each status before its callback.
 */
export class TwilioCallees {
  private readonly attempts = new Map<string, number>();
  private readonly driving = new Set<Promise<void>>();
  private turn = 0;
  /** Webhooks that no gateway took after every retry (a test expects none). */
  readonly undelivered: string[] = [];

  constructor(private readonly options: TwilioCalleesOptions) {
    options.fake.onCallCreated((call) => {
      const attempt = (this.attempts.get(call.to) ?? 0) + 1;
      this.attempts.set(call.to, attempt);
      const task = this.drive(call, options.answer(call.to, attempt)).finally(() =>
        this.driving.delete(task),
      );
      this.driving.add(task);
    });
  }

  /** Calls still ringing or talking. */
  get inFlight(): number {
    return this.driving.size;
  }

  async settled(): Promise<void> {
    while (this.driving.size > 0) await Promise.allSettled([...this.driving]);
  }

  private async drive(call: FakeTwilioCall, answer: CalleeAnswer): Promise<void> {
    const { fake } = this.options;
    await sleep(5);
    await this.status(call, 'initiated', 0);
    await sleep(10);
    if (answer.kind === 'busy') {
      fake.setStatus(call.sid, 'busy');
      await this.status(call, 'busy', 1, { CallDuration: '0' });
      return;
    }
    fake.setStatus(call.sid, 'in-progress');
    if (call.url !== undefined) await this.webhook(call.url, this.params(call, 'in-progress'));
    await this.status(call, 'in-progress', 1);
    await sleep(answer.talkMs);
    fake.setStatus(call.sid, 'completed');
    if (answer.finalCallbackLost) return;
    await this.status(call, 'completed', 2, {
      CallDuration: String(Math.max(1, Math.round(answer.talkMs / 1000))),
    });
  }

  private params(call: FakeTwilioCall, status: string): Record<string, string> {
    return {
      AccountSid: call.accountSid,
      ApiVersion: '2010-04-01',
      CallSid: call.sid,
      CallStatus: status,
      Direction: 'outbound-api',
      From: call.from,
      To: call.to,
    };
  }

  private async status(
    call: FakeTwilioCall,
    status: string,
    sequence: number,
    more: Record<string, string> = {},
  ) {
    if (call.statusCallback === undefined) return;
    await this.webhook(call.statusCallback, {
      ...this.params(call, status),
      SequenceNumber: String(sequence),
      Timestamp: new Date().toUTCString().replace('GMT', '+0000'),
      ...more,
    });
  }

  /** POSTs a webhook signed for `url` (the public URL) to a gateway, trying others while one fails. */
  private async webhook(url: string, params: Record<string, string>): Promise<void> {
    const { pathname, search } = new URL(url);
    const init = signedTwilioRequest(this.options.authToken, url, params);
    for (let attempt = 0; attempt < 20; attempt++) {
      const gateways = this.options.gateways();
      const base = gateways[this.turn++ % gateways.length];
      try {
        const res = await fetch(`${base}${pathname}${search}`, init);
        await res.arrayBuffer();
        if (res.status < 500) return;
      } catch {
        // That gateway is gone: the next one.
      }
      await sleep(50);
    }
    this.undelivered.push(`${params.CallStatus} ${params.CallSid}`);
  }
}

/** The most creation times of `times` (ms) that fall in any window [t, t + windowMs). */
export function maxInWindow(times: readonly number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let start = 0;
  for (let end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}
