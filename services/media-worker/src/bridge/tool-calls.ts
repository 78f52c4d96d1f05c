import type { ToolCallRecord } from '@switchboard/contracts';
import { remember } from './remember.js';
import type { ConnectionId, RealtimeInput } from './types.js';

/** A call of a tool by the model, from its `function_call` until it is answered. */
export interface ToolCall {
  callId: string;
  name: string;
  /** The arguments as the model gave them: parsed when they are JSON, else the text. */
  args: unknown;
  responseId: string;
  connection: ConnectionId;
  calledAt: number;
  /** `http`: one of the agent's own tools, answered by its server (a filler line covers a slow one). */
  kind: 'http' | 'built-in';
}

/** What answering a call leaves to do. */
export interface Answered {
  call: ToolCall;
  record: ToolCallRecord;
  /** Every call of the model's response is answered and the response is over: it may now go on. */
  respond: boolean;
}

const MAX_SEEN_CALLS = 256;

/**
 * The model's tool calls, by the response that made them: each is answered once (its result becomes a
 * `function_call_output`), and when every call of a response is answered and the response is over, the model
 * is asked to go on — once, however many calls it made. The API says each call twice (arguments done, output
 * item done); the first counts.
 */
export class ToolCalls {
  private readonly open = new Map<string, ToolCall>();
  private readonly seen = new Set<string>();
  /** Responses with calls: how many are still open, and whether the response is over. */
  private readonly batches = new Map<string, { open: number; done: boolean; connection: ConnectionId }>();
  /** Whether the holding line has been said while the current HTTP calls run. */
  fillerSaid = false;

  /** Whether one of the agent's own tools is running. */
  get httpPending(): boolean {
    for (const call of this.open.values()) if (call.kind === 'http') return true;
    return false;
  }

  get pending(): boolean {
    return this.open.size > 0;
  }

  /** A call the model made; undefined when it was said before. */
  take(
    input: Extract<RealtimeInput, { kind: 'function-call' }>,
    kind: ToolCall['kind'],
    now: number,
  ): ToolCall | undefined {
    if (this.seen.has(input.callId)) return undefined;
    remember(this.seen, input.callId, undefined, MAX_SEEN_CALLS);
    const call: ToolCall = {
      callId: input.callId,
      name: input.name,
      args: parseArguments(input.arguments),
      responseId: input.responseId,
      connection: input.connection,
      calledAt: now,
      kind,
    };
    if (kind === 'http' && !this.httpPending) this.fillerSaid = false;
    this.open.set(call.callId, call);
    const batch = this.batches.get(call.responseId) ?? { open: 0, done: false, connection: call.connection };
    batch.open++;
    this.batches.set(call.responseId, batch);
    return call;
  }

  get(callId: string): ToolCall | undefined {
    return this.open.get(callId);
  }

  /** A call is answered: its record, and whether its response may go on. Undefined when it is not open. */
  answer(callId: string, status: ToolCallRecord['status'], now: number): Answered | undefined {
    const call = this.open.get(callId);
    if (call === undefined) return undefined;
    this.open.delete(callId);
    const record: ToolCallRecord = {
      name: call.name,
      callId,
      arguments: call.args,
      status,
      ms: Math.max(0, Math.round(now - call.calledAt)),
    };
    const batch = this.batches.get(call.responseId);
    if (batch === undefined) return { call, record, respond: false };
    batch.open--;
    const respond = batch.open === 0 && batch.done;
    if (respond) this.batches.delete(call.responseId);
    return { call, record, respond };
  }

  /**
   * A call that needs no answer (end_call, a transfer Twilio took): it leaves its response's count, and
   * the response is not continued for it.
   */
  settle(callId: string): void {
    const call = this.open.get(callId);
    if (call === undefined) return;
    this.open.delete(callId);
    const batch = this.batches.get(call.responseId);
    if (batch !== undefined) batch.open--;
  }

  /** The model's response is over; true when it made calls, all answered, so it may go on now. */
  responseDone(responseId: string): boolean {
    const batch = this.batches.get(responseId);
    if (batch === undefined) return false;
    batch.done = true;
    if (batch.open > 0) return false;
    this.batches.delete(responseId);
    return true;
  }

  /** The session of `connection` is gone: its responses say no more. True when one may now go on. */
  sessionLost(connection: ConnectionId): boolean {
    let respond = false;
    for (const [id, batch] of this.batches) {
      if (batch.connection !== connection) continue;
      batch.done = true;
      if (batch.open > 0) continue;
      this.batches.delete(id);
      respond = true;
    }
    return respond;
  }

  clear(): void {
    this.open.clear();
    this.batches.clear();
  }
}

function parseArguments(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
