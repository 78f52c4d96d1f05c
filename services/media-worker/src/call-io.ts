import type { NatsConnection } from '@nats-io/nats-core';
import { type RegistryClient, request } from '@switchboard/bus';
import { SwitchboardError, TWILIO_ENDPOINTS, type TwilioCallTransferRequest } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { BridgeInput, BridgeOutput, ControlAnswer } from './bridge/types.js';
import { ControlSubject } from './control-subject.js';
import { lookUpCall } from './lookup.js';
import type { WorkerMetrics } from './metrics.js';
import type { ToolCaller } from './tools/tool-client.js';

/** How long the gateway may take to hand a call over (it asks Twilio's REST API). */
export const TRANSFER_REQUEST_TIMEOUT_MS = 10_000;

export interface CallIoDeps {
  nc: NatsConnection;
  registry: Pick<RegistryClient, 'callBySid' | 'callTranscript'>;
  tools: ToolCaller;
  metrics: WorkerMetrics;
  lookupTimeoutMs: number;
}

/**
 * A call's requests to the rest of the world, for its session: the registry (the call, its transcript), the
 * agent's tools, the gateway's transfer, and the call's control subject. Each answer comes back to the
 * bridge as an input; none of them decides anything.
 */
export class CallIo {
  private control: ControlSubject | undefined;
  private closed = false;

  constructor(
    private readonly deps: CallIoDeps,
    private readonly feed: (input: BridgeInput) => void,
  ) {}

  /** The stream carries `callSid`: look it up (and its transcript), and serve its control subject. */
  claim(callSid: string, history: boolean, log: Logger): void {
    const { registry, lookupTimeoutMs, nc } = this.deps;
    void lookUpCall(registry, callSid, lookupTimeoutMs, log).then((input) => this.feed(input));
    if (history) void this.loadHistory(callSid, log);
    this.control = new ControlSubject(
      nc,
      callSid,
      (requestId, request) => this.feed({ kind: 'control', requestId, request }),
      log,
    );
  }

  tool(output: Extract<BridgeOutput, { to: 'tool-request' }>): void {
    const { callId, url, body, timeoutMs } = output;
    void this.deps.tools.call(url, body, timeoutMs).then((result) => {
      this.deps.metrics.toolCalls.inc({ status: result.status });
      this.feed({ kind: 'tool-result', callId, result });
    });
  }

  transfer(transfer: TwilioCallTransferRequest, log: Logger): void {
    const { nc, metrics } = this.deps;
    request(nc, TWILIO_ENDPOINTS.callTransfer, transfer, { timeoutMs: TRANSFER_REQUEST_TIMEOUT_MS }).then(
      () => {
        metrics.transfers.inc({ outcome: 'accepted' });
        this.feed({ kind: 'transfer-result', accepted: true });
      },
      (err: unknown) => {
        metrics.transfers.inc({ outcome: 'refused' });
        const reason = err instanceof SwitchboardError ? `${err.code}: ${err.message}` : String(err);
        log.warn({ err, target: transfer.target }, 'transfer refused');
        this.feed({ kind: 'transfer-result', accepted: false, reason });
      },
    );
  }

  reply(requestId: number, answer: ControlAnswer): void {
    this.control?.reply(requestId, answer);
  }

  /** The stream is over: its control subject goes. */
  close(): void {
    this.closed = true;
    this.control?.close();
    this.control = undefined;
  }

  private async loadHistory(callSid: string, log: Logger): Promise<void> {
    try {
      const { segments } = await this.deps.registry.callTranscript(
        { callSid },
        { timeoutMs: 2 * this.deps.lookupTimeoutMs },
      );
      const past = segments.map(({ role, text, at }) => ({ role, text, at: Date.parse(at) }));
      this.feed({ kind: 'history-loaded', segments: past });
    } catch (err) {
      if (!this.closed) log.warn({ err }, 'transcript not loaded: the new session starts without it');
      this.feed({ kind: 'history-loaded', segments: [] });
    }
  }
}
