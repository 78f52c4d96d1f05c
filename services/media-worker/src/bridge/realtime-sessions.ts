import type { BridgeOutput, ConnectionId, DialPurpose, PreparedSession } from './types.js';

/** One Realtime socket of the call and how far its session has come. */
export interface SessionSlot {
  readonly id: ConnectionId;
  readonly model: string;
  readonly purpose: DialPurpose;
  state: 'dialing' | 'open' | 'ready';
  /** Whether our `session.update` went out on it. */
  configured: boolean;
  readyAt: number | undefined;
}

export interface SessionTimings {
  sessionReadyTimeoutMs: number;
}

/**
 * Failed sockets in a row (not opening, not ready in time, or lost within STABLE_SESSION_MS) the call
 * survives; the pause before each new dial is REDIAL_DELAYS_MS[n - 1].
 */
export const REALTIME_FAILURE_BUDGET = 3;
export const REDIAL_DELAYS_MS = [0, 500, 2_000] as const;
/** A replacement ready this long without a quiet moment takes over anyway. */
export const ROLLOVER_FORCE_MS = 120_000;
/** After a move, the old socket stays open this long for the transcripts it still owes. */
export const OLD_SESSION_LINGER_MS = 3_000;
/** A session that stayed up this long was no failure: losing it later does not count against the budget. */
export const STABLE_SESSION_MS = 30_000;

/** What the next session to begin says about the move to it: an `event` segment and a log line. */
export interface MoveNote {
  text: string;
  fields: Record<string, unknown>;
}

/**
 * The call's Realtime sockets, for the bridge: the `current` session (caller audio goes to it once ready),
 * a `replacement` being prepared to take over before the current one's time runs out, and the `old` one a
 * move left behind, open a moment longer for its late transcripts. At most one of them is not ready at any
 * time, so one `session-ready` timer serves. It also counts failed sockets in a row, the retry budget.
 */
export class RealtimeSessions {
  current: SessionSlot | undefined;
  private replacement: SessionSlot | undefined;
  private old: SessionSlot | undefined;
  private lastId = 0;
  private pendingDial: DialPurpose | undefined;
  private moveNote: MoveNote | undefined;
  /** Sockets that failed in a row: not opening, not ready in time, or lost before STABLE_SESSION_MS. */
  failures = 0;

  constructor(private readonly timings: SessionTimings) {}

  /** Whether a replacement is being prepared (or about to be dialled). */
  get replacing(): boolean {
    return this.replacement !== undefined || this.pendingDial === 'rollover';
  }

  get replacementReady(): boolean {
    return this.replacement?.state === 'ready';
  }

  /** A new socket: `rollover` prepares a replacement, anything else becomes the current session. */
  dial(purpose: DialPurpose, model: string, now: number): BridgeOutput[] {
    const session: SessionSlot = {
      id: ++this.lastId,
      model,
      purpose,
      state: 'dialing',
      configured: false,
      readyAt: undefined,
    };
    if (purpose === 'rollover') this.replacement = session;
    else this.current = session;
    return [
      { to: 'dial', connection: session.id, model, purpose },
      { to: 'set-timer', timer: 'session-ready', at: now + this.timings.sessionReadyTimeoutMs },
    ];
  }

  /**
   * A socket prepared before the stream began (for `callSid`) becomes the current session, as far as it got:
   * still dialling, configured and waiting for `session.updated` (both under the `session-ready` deadline,
   * as a socket dialled here), or ready.
   */
  adopt(prepared: PreparedSession, now: number): BridgeOutput[] {
    const { state, model, callSid } = prepared;
    const session: SessionSlot = {
      id: ++this.lastId,
      model,
      purpose: 'first',
      state: state === 'configuring' ? 'open' : state,
      configured: state !== 'dialing',
      readyAt: state === 'ready' ? now : undefined,
    };
    this.current = session;
    const out: BridgeOutput[] = [{ to: 'adopt', connection: session.id, callSid }];
    if (state !== 'ready')
      out.push({ to: 'set-timer', timer: 'session-ready', at: now + this.timings.sessionReadyTimeoutMs });
    return out;
  }

  /**
   * After a failure in `slot`: give up (the budget is spent), or dial again, at once or after a pause (the
   * dial then waits for the `redial` timer).
   */
  redial(slot: 'current' | 'replacement'): 'give-up' | { purpose: DialPurpose; delayMs: number } {
    if (this.failures > REALTIME_FAILURE_BUDGET) return 'give-up';
    const purpose: DialPurpose = slot === 'current' ? 'recover' : 'rollover';
    const delayMs = this.failures === 0 ? 0 : (REDIAL_DELAYS_MS[this.failures - 1] ?? 0);
    if (delayMs > 0) this.pendingDial = purpose;
    return { purpose, delayMs };
  }

  takeDialLater(): DialPurpose | undefined {
    const purpose = this.pendingDial;
    this.pendingDial = undefined;
    return purpose;
  }

  /** Closes a socket for good and forgets it. */
  retire(session: SessionSlot): BridgeOutput[] {
    if (this.current === session) this.current = undefined;
    if (this.replacement === session) this.replacement = undefined;
    if (this.old === session) this.old = undefined;
    const out: BridgeOutput[] = [{ to: 'close-realtime', connection: session.id }];
    if (session.state !== 'ready') out.push({ to: 'clear-timer', timer: 'session-ready' });
    return out;
  }

  /** The socket is open; the session to configure, unless it is one we no longer wait for. */
  opened(connection: ConnectionId): SessionSlot | undefined {
    const session = this.waiting(connection);
    if (session?.state !== 'dialing') return undefined;
    session.state = 'open';
    return session;
  }

  /** Our `session.update` goes out on it: the ready deadline counts from now. */
  configuring(session: SessionSlot, now: number): BridgeOutput[] {
    session.configured = true;
    return [{ to: 'set-timer', timer: 'session-ready', at: now + this.timings.sessionReadyTimeoutMs }];
  }

  /** The server confirmed our configuration: which slot became ready, with the timers that follow. */
  ready(
    connection: ConnectionId,
    now: number,
  ): { slot: 'current' | 'replacement'; out: BridgeOutput[] } | undefined {
    const session = this.waiting(connection);
    if (session?.state !== 'open' || !session.configured) return undefined;
    session.state = 'ready';
    session.readyAt = now;
    const out: BridgeOutput[] = [{ to: 'clear-timer', timer: 'session-ready' }];
    if (session === this.current) return { slot: 'current', out };
    out.push({ to: 'set-timer', timer: 'rollover-force', at: now + ROLLOVER_FORCE_MS });
    return { slot: 'replacement', out };
  }

  /** The session not ready yet (there is at most one), whose deadline just passed. */
  lateSession(): SessionSlot | undefined {
    if (this.current !== undefined && this.current.state !== 'ready') return this.current;
    if (this.replacement !== undefined && this.replacement.state !== 'ready') return this.replacement;
    return undefined;
  }

  /**
   * A socket closed by the server or the network (or given up on): which slot it held, after counting the
   * failure; undefined for a socket whose loss changes nothing (the old one, or one already retired).
   */
  lost(
    connection: ConnectionId,
    detail: string,
    now: number,
  ): { slot: 'current' | 'replacement'; out: BridgeOutput[] } | undefined {
    if (this.old?.id === connection) {
      this.old = undefined;
      return undefined;
    }
    const out: BridgeOutput[] = [];
    if (this.replacement?.id === connection) {
      const session = this.replacement;
      this.replacement = undefined;
      if (session.state !== 'ready') out.push({ to: 'clear-timer', timer: 'session-ready' });
      else out.push({ to: 'clear-timer', timer: 'rollover-force' });
      this.countFailure(now);
      return { slot: 'replacement', out };
    }
    const session = this.current;
    if (session?.id !== connection) return undefined;
    this.current = undefined;
    out.push({ to: 'clear-timer', timer: session.state === 'ready' ? 'session-max' : 'session-ready' });
    const lastedMs = session.readyAt === undefined ? 0 : now - session.readyAt;
    if (session.readyAt !== undefined) {
      this.moveNote ??= {
        text: `the call moved to a new Realtime session: the previous one closed (${detail}) after ${seconds(lastedMs)}`,
        fields: { reason: 'closed', detail, previousSessionMs: lastedMs },
      };
    }
    if (session.readyAt === undefined || lastedMs < STABLE_SESSION_MS) this.countFailure(now);
    else this.failures = 0;
    // A replacement on its way takes the current one's place at once.
    if (this.replacement !== undefined) {
      this.current = this.replacement;
      this.replacement = undefined;
      out.push({ to: 'clear-timer', timer: 'rollover-force' });
    } else if (this.pendingDial === 'rollover') {
      this.pendingDial = undefined;
    }
    return { slot: 'current', out };
  }

  /** Gives up on a socket (its deadline passed): closed, and counted as lost. */
  giveUp(
    session: SessionSlot,
    now: number,
  ): { slot: 'current' | 'replacement'; out: BridgeOutput[] } | undefined {
    const lost = this.lost(session.id, 'not ready in time', now);
    lost?.out.push({ to: 'close-realtime', connection: session.id });
    return lost;
  }

  /** The replacement takes over; the current session becomes the old one, closed after a moment. */
  promote(now: number): BridgeOutput[] {
    const next = this.replacement;
    if (next === undefined) return [];
    const out: BridgeOutput[] = [{ to: 'clear-timer', timer: 'rollover-force' }];
    if (this.old !== undefined) out.push({ to: 'close-realtime', connection: this.old.id });
    this.old = this.current;
    if (this.old !== undefined) {
      const lastedMs = this.old.readyAt === undefined ? 0 : now - this.old.readyAt;
      this.moveNote = {
        text: `the call moved to a new Realtime session before the previous one’s time limit, after ${seconds(lastedMs)}`,
        fields: { reason: 'planned', previousSessionMs: lastedMs },
      };
      out.push({ to: 'set-timer', timer: 'old-session', at: now + OLD_SESSION_LINGER_MS });
    }
    this.current = next;
    this.replacement = undefined;
    return out;
  }

  /** What the session that begins next says about the move to it, once. */
  takeMoveNote(): MoveNote | undefined {
    const note = this.moveNote;
    this.moveNote = undefined;
    return note;
  }

  retireOld(): BridgeOutput[] {
    return this.old === undefined ? [] : this.retire(this.old);
  }

  /** No more moves (the call is ending): the replacement, if any, is dropped. */
  stopReplacing(): BridgeOutput[] {
    if (this.pendingDial === 'rollover') this.pendingDial = undefined;
    const out: BridgeOutput[] = [{ to: 'clear-timer', timer: 'session-max' }];
    if (this.replacement !== undefined) out.push(...this.retire(this.replacement));
    return out;
  }

  /** Transcripts still count from the current session and from the old one a move left behind. */
  owesTranscripts(connection: ConnectionId): boolean {
    return connection === this.current?.id || connection === this.old?.id;
  }

  /** Closes every socket of the call at once (the call is over), and forgets them. */
  closeAll(): BridgeOutput[] {
    const out: BridgeOutput[] = [];
    for (const session of [this.current, this.replacement, this.old]) {
      if (session !== undefined) out.push({ to: 'close-realtime', connection: session.id });
    }
    this.clear();
    return out;
  }

  clear(): void {
    this.current = undefined;
    this.replacement = undefined;
    this.old = undefined;
    this.pendingDial = undefined;
  }

  private waiting(connection: ConnectionId): SessionSlot | undefined {
    if (this.current?.id === connection) return this.current;
    if (this.replacement?.id === connection) return this.replacement;
    return undefined;
  }

  /** A failure; a current session that has proved stable since the last one resets the count first. */
  private countFailure(now: number): void {
    const current = this.current;
    if (current?.readyAt !== undefined && now - current.readyAt >= STABLE_SESSION_MS) this.failures = 0;
    this.failures++;
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 1000)} s`;
}
