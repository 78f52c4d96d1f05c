import { signedTwilioRequest, type TwilioParams } from '@switchboard/testkit';
import { CLUSTER_API_KEY, CLUSTER_AUTH_TOKEN, type ClusterStack, type Replica } from './cluster-stack.js';

// What reaches the gateways during a cluster drill: requests sent as a load balancer would send them (round
// robin, and a connection refused tried on the next gateway), each one recorded with its times and outcome.

/** Twilio gives a webhook 15 s before it counts it failed. */
const REQUEST_TIMEOUT_MS = 15_000;

export interface RequestRecord {
  probe: 'status' | 'lookup';
  startedAt: number;
  endedAt: number;
  /** 2xx. */
  ok: boolean;
  /** The HTTP status, or the error that broke the request. */
  outcome: string;
  /** A gateway refused the connection and the next one took the request, as a load balancer does. */
  rerouted: boolean;
}

/** Round robin over the gateways still listening; a refused connection moves on to the next one. */
export class GatewayBalancer {
  private next = 0;

  constructor(private readonly gateways: readonly Replica[]) {}

  async send(path: string, init: () => RequestInit): Promise<{ res: Response; rerouted: boolean }> {
    let rerouted = false;
    let lastError: unknown;
    const first = this.next++;
    for (let tried = 0; tried < this.gateways.length; tried++) {
      const gateway = this.gateways[(first + tried) % this.gateways.length] as Replica;
      try {
        const res = await fetch(`http://127.0.0.1:${gateway.port}${path}`, {
          ...init(),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        return { res, rerouted };
      } catch (err) {
        lastError = err;
        if (!connectionRefused(err)) throw err;
        rerouted = true;
      }
    }
    throw lastError;
  }
}

function connectionRefused(err: unknown): boolean {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code === 'ECONNREFUSED';
}

/** A status callback the gateway acknowledged (2xx): it must end up in the registry. */
export interface Acknowledged {
  msgId: string;
  callSid: string;
  /** When the callback was first sent, and when a gateway acknowledged it (after retries, if any). */
  firstSentAt: number;
  at: number;
}

/**
 * Keeps status callbacks and call lookups going through the gateways while it runs: each status callback is
 * sent again (same SequenceNumber, so the same message id) until a gateway acknowledges it, as Twilio retries.
 */
export class Probes {
  readonly records: RequestRecord[] = [];
  readonly acknowledged: Acknowledged[] = [];
  private running = true;
  private sequence = 0;
  private loops: Promise<void>[] = [];
  private readonly balancer: GatewayBalancer;

  constructor(
    private readonly stack: ClusterStack,
    private readonly callSids: () => readonly string[],
    private readonly pauseMs = 50,
  ) {
    this.balancer = new GatewayBalancer(stack.gateways);
  }

  start(statusLoops = 2, lookupLoops = 1): void {
    for (let i = 0; i < statusLoops; i++) this.loops.push(this.statusLoop());
    for (let i = 0; i < lookupLoops; i++) this.loops.push(this.lookupLoop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Sends one status callback until it is acknowledged (or the probes stop). */
  async status(callSid: string, status: string): Promise<void> {
    const sequence = this.sequence++;
    const params: TwilioParams = {
      CallSid: callSid,
      AccountSid: `AC${'c'.repeat(32)}`,
      CallStatus: status,
      SequenceNumber: String(sequence),
      ApiVersion: '2010-04-01',
    };
    const url = `${this.stack.publicBaseUrl}/twilio/status`;
    const firstSentAt = Date.now();
    for (;;) {
      const ok = await this.record('status', () =>
        this.balancer.send('/twilio/status', () => signedTwilioRequest(CLUSTER_AUTH_TOKEN, url, params)),
      );
      if (ok) {
        // The gateway's message id for a callback with a SequenceNumber (statusMessageId).
        this.acknowledged.push({
          msgId: `status.${callSid}.${status}.seq-${sequence}`,
          callSid,
          firstSentAt,
          at: Date.now(),
        });
        return;
      }
      if (!this.running && status !== 'completed') return;
      await pause(this.pauseMs);
    }
  }

  private async statusLoop(): Promise<void> {
    for (let i = 0; this.running; i++) {
      const sids = this.callSids();
      const callSid = sids[i % sids.length];
      if (callSid) await this.status(callSid, 'in-progress');
      await pause(this.pauseMs);
    }
  }

  private async lookupLoop(): Promise<void> {
    for (let i = 0; this.running; i++) {
      const sids = this.callSids();
      const callSid = sids[i % sids.length];
      if (callSid) {
        await this.record('lookup', () =>
          this.balancer.send(`/api/calls/${callSid}`, () => ({
            headers: { authorization: `Bearer ${CLUSTER_API_KEY}` },
          })),
        );
      }
      await pause(this.pauseMs);
    }
  }

  private async record(
    probe: RequestRecord['probe'],
    send: () => Promise<{ res: Response; rerouted: boolean }>,
  ): Promise<boolean> {
    const startedAt = Date.now();
    let outcome: string;
    let ok = false;
    let rerouted = false;
    try {
      const sent = await send();
      await sent.res.arrayBuffer();
      ok = sent.res.ok;
      rerouted = sent.rerouted;
      outcome = String(sent.res.status);
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause;
      outcome = cause?.code ?? (err as Error).name;
    }
    this.records.push({ probe, startedAt, endedAt: Date.now(), ok, outcome, rerouted });
    return ok;
  }
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
