import type { ConversationItemCreateEvent, ResponseCreateEvent } from '@switchboard/contracts';
import type { ResponseRequest } from './prompts.js';
import type { BridgeOutput, ConnectionId } from './types.js';

/** The response asked for and not announced yet (`response.created` names it). */
const REQUESTED = '#requested';

/**
 * What the worker tells the model, for the call's current session: conversation items (tool results, keypad
 * digits) and `response.create`s (a greeting, an operator's `say`, the answer after tool results, reprompts,
 * goodbyes). The Realtime API runs one response at a time and refuses another meanwhile, so responses wait
 * for the one running (ours or one server VAD started) to finish; items and responses also wait for the
 * session to be ready, and outlive a lost session (the next one gets them).
 */
export class ModelTurns {
  private connection: ConnectionId | undefined;
  /** The response running on the current session, from `response.created` to `response.done`. */
  private active: string | undefined;
  private items: ConversationItemCreateEvent[] = [];
  private responses: ResponseCreateEvent[] = [];

  /** Whether a response runs or waits to: the agent is about to speak, or speaking. */
  get busy(): boolean {
    return this.active !== undefined || this.responses.length > 0;
  }

  /** Whether a session is ready to be told anything. */
  get ready(): boolean {
    return this.connection !== undefined;
  }

  /**
   * `connection` became the call's session: what waited for one goes to it, after `opening` (what the agent
   * opens the call with) when it is the first.
   */
  sessionReady(connection: ConnectionId, opening?: ResponseRequest): BridgeOutput[] {
    this.connection = connection;
    this.active = undefined;
    if (opening !== undefined) this.responses.unshift({ type: 'response.create', response: opening });
    return this.flush();
  }

  /** The current session is gone; what was not sent waits for the next one. */
  sessionGone(): void {
    this.connection = undefined;
    this.active = undefined;
  }

  created(responseId: string): void {
    this.active = responseId;
  }

  /** The response is over (also one the API never announced after our request: it does not block forever). */
  done(responseId: string): BridgeOutput[] {
    if (this.active !== responseId && this.active !== REQUESTED) return [];
    this.active = undefined;
    return this.flush();
  }

  /** A conversation item, sent at once when a session is ready. */
  add(item: ConversationItemCreateEvent): BridgeOutput[] {
    this.items.push(item);
    return this.flush();
  }

  /**
   * Asks for a response: now, or once the running one is over. A plain "go on" (no instructions) is asked
   * for once however often it is wanted before it goes out.
   */
  respond(response?: ResponseRequest): BridgeOutput[] {
    if (response === undefined) {
      if (this.responses.some((r) => r.response === undefined)) return [];
      this.responses.push({ type: 'response.create' });
    } else {
      this.responses.push({ type: 'response.create', response });
    }
    return this.flush();
  }

  /** Forgets every response not asked for yet (the call is ending: only its goodbye will be said). */
  dropResponses(): void {
    this.responses = [];
  }

  clear(): void {
    this.items = [];
    this.responses = [];
    this.sessionGone();
  }

  private flush(): BridgeOutput[] {
    const connection = this.connection;
    if (connection === undefined) return [];
    const out: BridgeOutput[] = this.items.map((message) => ({ to: 'realtime', connection, message }));
    this.items = [];
    const next = this.active === undefined ? this.responses.shift() : undefined;
    if (next !== undefined) {
      // Taken as running from now, so that nothing else is asked for before its `response.created`.
      this.active = REQUESTED;
      out.push({ to: 'realtime', connection, message: next });
    }
    return out;
  }
}
