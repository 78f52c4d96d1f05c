import { headers, type Msg, type NatsConnection, type Subscription } from '@nats-io/nats-core';
import { ServiceErrorCodeHeader, ServiceErrorHeader } from '@nats-io/services';
import { parseMessage } from '@switchboard/bus';
import {
  type CallControlReply,
  CallControlRequest,
  callControlSubject,
  ERROR_CODES,
  type ErrorBody,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { ControlAnswer } from './bridge/types.js';

const encoder = new TextEncoder();

/**
 * `call.control.<callSid>` while this worker holds the call's stream (DESIGN-10 §2): a plain subscription,
 * so that a request reaches whichever worker holds the stream and finds no responder when none does. Each
 * valid request goes to the bridge, which answers it (`control-reply`); a malformed one is answered 400
 * here. Errors are answered as the services framework does (its error headers, a JSON error body), so the
 * gateway reads them with the same request helper as the registry's.
 */
export class ControlSubject {
  private readonly subscription: Subscription;
  private readonly waiting = new Map<number, Msg>();
  private nextId = 0;

  constructor(
    nc: NatsConnection,
    private readonly callSid: string,
    onRequest: (requestId: number, request: CallControlRequest) => void,
    private readonly log: Logger,
  ) {
    this.subscription = nc.subscribe(callControlSubject(callSid), {
      callback: (err, msg) => {
        if (err !== null) {
          log.warn({ err }, 'control subscription failed');
          return;
        }
        const parsed = parseMessage(msg.data, CallControlRequest);
        if (!parsed.ok) {
          this.respondError(msg, 'INVALID_REQUEST', `invalid control request: ${parsed.reason}`);
          return;
        }
        const requestId = ++this.nextId;
        this.waiting.set(requestId, msg);
        log.info({ action: parsed.value.action }, 'control request');
        onRequest(requestId, parsed.value);
      },
    });
  }

  /** The bridge's answer to a request. */
  reply(requestId: number, answer: ControlAnswer): void {
    const msg = this.waiting.get(requestId);
    if (msg === undefined) return;
    this.waiting.delete(requestId);
    if (answer.accepted) {
      const reply: CallControlReply = { callSid: this.callSid, accepted: true };
      msg.respond(encoder.encode(JSON.stringify(reply)));
    } else {
      this.respondError(msg, answer.code, answer.message);
    }
  }

  /** The stream is over: no more requests for it here; any not answered yet are told it ended. */
  close(): void {
    this.subscription.unsubscribe();
    for (const msg of this.waiting.values()) this.respondError(msg, 'CALL_ENDED', 'the call has ended');
    this.waiting.clear();
  }

  private respondError(msg: Msg, code: keyof typeof ERROR_CODES, message: string): void {
    const status = ERROR_CODES[code];
    const h = headers();
    h.set(ServiceErrorCodeHeader, String(status));
    h.set(ServiceErrorHeader, message);
    const body: ErrorBody = { error: { code, message } };
    if (!msg.respond(encoder.encode(JSON.stringify(body)), { headers: h })) {
      this.log.debug({ code }, 'control request had no reply subject');
    }
  }
}
