import type { Agent } from '@switchboard/contracts';
import type { AgentActions } from './agent-actions.js';
import type { AgentPlayback } from './agent-playback.js';
import type { CallEvents } from './call-events.js';
import type { CallerInput } from './caller-input.js';
import type { ConversationHistory } from './conversation-history.js';
import type { ModelTurns } from './model-turns.js';
import type { ResponseRequest } from './prompts.js';
import { RealtimeSessions, type SessionSlot } from './realtime-sessions.js';
import { sessionUpdateFor } from './session-config.js';
import type { BridgeOutput, ConnectionId, DialPurpose, PreparedSession } from './types.js';

export interface KeeperOptions {
  defaultModel: string;
  transcriptionModel: string;
  sessionReadyTimeoutMs: number;
  sessionMaxMs: number;
}

/** What the keeper asks of the bridge, which owns the call's phase. */
export interface KeeperHost {
  /** The call's agent, once the lookup found it. */
  agent(): Agent | undefined;
  /** Whether sessions may be configured (a stream back from a transfer waits for the call's transcript). */
  mayConfigure(): boolean;
  /** Sessions move only while the call is live; one lost while the call ends is not replaced. */
  phase(): 'live' | 'ending' | 'other';
  /** What the agent opens the call with: asked once, when the call's first session is ready. */
  opening(): ResponseRequest | undefined;
}

/** What a session event leaves to the bridge: outputs, and whether the call cannot go on or may end now. */
export interface KeeperResult {
  out: BridgeOutput[];
  /** The retry budget is spent: the call cannot go on (`detail` says why). */
  giveUp?: string;
  /** The current session was lost while the call ends: the bridge checks whether it may end now. */
  lostWhileEnding?: true;
}

/**
 * The call's Realtime sessions, for the bridge: dialling, configuring (the agent's `session.update` and
 * what was said so far), a session becoming the call's (held audio, what waited to be said), planned moves
 * at a quiet moment, and recovery from a lost socket within the retry budget (`RealtimeSessions` keeps the
 * slots and the count). It changes no phase: what cannot go on, it reports.
 */
export class SessionKeeper {
  readonly sessions: RealtimeSessions;
  private opened = false;

  constructor(
    private readonly options: KeeperOptions,
    private readonly host: KeeperHost,
    private readonly parts: {
      caller: CallerInput;
      playback: AgentPlayback;
      turns: ModelTurns;
      actions: AgentActions;
      events: CallEvents;
      history: ConversationHistory;
    },
  ) {
    this.sessions = new RealtimeSessions(options);
  }

  get current(): SessionSlot | undefined {
    return this.sessions.current;
  }

  isCurrent(connection: ConnectionId): boolean {
    return connection === this.sessions.current?.id;
  }

  dial(purpose: DialPurpose, now: number): BridgeOutput[] {
    const model = this.host.agent()?.model ?? this.options.defaultModel;
    return this.sessions.dial(purpose, model, now);
  }

  /** A session prepared while the phone rang becomes the call's (the agent is known: it came with it). */
  adopt(prepared: PreparedSession, now: number): BridgeOutput[] {
    const out = this.sessions.adopt(prepared, now);
    return prepared.state === 'ready' ? out.concat(this.begin(now)) : out;
  }

  /**
   * The agent became known, or its sessions may now be configured: the socket dialled while the lookup ran
   * is configured, or replaced by one for the agent's own model.
   */
  agentKnown(now: number): BridgeOutput[] {
    const agent = this.host.agent();
    const session = this.sessions.current;
    if (agent === undefined || session === undefined) return [];
    if (session.model !== agent.model) return [...this.sessions.retire(session), ...this.dial('model', now)];
    if (session.state === 'open' && !session.configured) return this.configure(session, now);
    return [];
  }

  /** The session update for the call's agent, and what was said so far for a session that joins midway. */
  private configure(session: SessionSlot, now: number): BridgeOutput[] {
    const agent = this.host.agent();
    if (agent === undefined || !this.host.mayConfigure()) return [];
    const update = sessionUpdateFor(agent, { transcriptionModel: this.options.transcriptionModel });
    const out: BridgeOutput[] = this.sessions.configuring(session, now);
    out.push({ to: 'realtime', connection: session.id, message: update });
    for (const message of this.parts.history.seed()) {
      out.push({ to: 'realtime', connection: session.id, message });
    }
    return out;
  }

  realtimeOpen(connection: ConnectionId, now: number): BridgeOutput[] {
    const session = this.sessions.opened(connection);
    return session === undefined ? [] : this.configure(session, now);
  }

  sessionReady(connection: ConnectionId, now: number): BridgeOutput[] {
    const ready = this.sessions.ready(connection, now);
    if (ready === undefined) return [];
    return ready.out.concat(ready.slot === 'current' ? this.begin(now) : this.moveWhenQuiet(now));
  }

  /**
   * The current session is ready: held audio goes to it, then what waited to be said to the model (first,
   * once per call, what the agent opens with); its time limit starts.
   */
  private begin(now: number): BridgeOutput[] {
    const session = this.sessions.current;
    if (session === undefined) return [];
    const out: BridgeOutput[] = [
      { to: 'set-timer', timer: 'session-max', at: now + this.options.sessionMaxMs },
    ];
    out.push(...this.parts.caller.release(session.id));
    const opening = this.opened ? undefined : this.host.opening();
    this.opened = true;
    out.push(...this.parts.turns.sessionReady(session.id, opening));
    const move = this.sessions.takeMoveNote();
    if (move !== undefined) {
      out.push({ to: 'log', level: 'info', message: 'realtime session moved', fields: move.fields });
      out.push(...this.parts.events.streamSegment('event', `session-${session.id}`, move.text, now));
    }
    return out;
  }

  /** A replacement is ready: it takes over at a moment nobody speaks (or when `force`d). */
  moveWhenQuiet(now: number, force = false): BridgeOutput[] {
    if (!this.sessions.replacementReady || this.host.phase() !== 'live') return [];
    const { playback, caller, turns } = this.parts;
    if (!force && (playback.speaking || caller.speaking || turns.busy)) return [];
    const out = this.sessions.promote(now);
    caller.newSession();
    return out.concat(this.begin(now));
  }

  realtimeClosed(connection: ConnectionId, detail: string, now: number): KeeperResult {
    const lost = this.sessions.lost(connection, detail, now);
    if (lost === undefined) return { out: [] };
    lost.out.unshift({
      to: 'log',
      level: 'warn',
      message: 'realtime socket lost',
      fields: { connection, detail },
    });
    return this.afterLoss(lost.slot, connection, lost.out, now);
  }

  /** After a failed or lost socket: carry on with what is left, dial again, or give up. */
  private afterLoss(
    slot: 'current' | 'replacement',
    connection: ConnectionId,
    out: BridgeOutput[],
    now: number,
  ): KeeperResult {
    if (slot === 'current') {
      const { playback, turns, actions, caller } = this.parts;
      playback.sessionLost(connection);
      turns.sessionGone();
      const phase = this.host.phase();
      out.push(...actions.sessionLost(connection, phase === 'live'));
      // The agent has said goodbye: no new session, the call ends once what is queued has played.
      if (phase === 'ending') {
        turns.dropResponses();
        return { out, lostWhileEnding: true };
      }
      caller.sessionLost();
      // A replacement that was on its way took the lost one's place.
      const taken = this.sessions.current;
      if (taken !== undefined) return { out: taken.state === 'ready' ? out.concat(this.begin(now)) : out };
    }
    const plan = this.sessions.redial(slot);
    if (plan === 'give-up') {
      if (slot === 'replacement') {
        out.push({
          to: 'log',
          level: 'error',
          message: 'no replacement session: staying on the current one',
        });
        return { out };
      }
      return { out, giveUp: `${this.sessions.failures} Realtime sockets failed in a row` };
    }
    if (plan.delayMs === 0) return { out: out.concat(this.dial(plan.purpose, now)) };
    return { out: out.concat({ to: 'set-timer', timer: 'redial', at: now + plan.delayMs }) };
  }

  /** The session timers: `session-ready`, `redial`, `session-max`, `rollover-force`, `old-session`. */
  timer(
    timer: 'session-ready' | 'redial' | 'session-max' | 'rollover-force' | 'old-session',
    now: number,
  ): KeeperResult {
    switch (timer) {
      case 'session-ready': {
        const late = this.sessions.lateSession();
        // The first socket may wait for the lookup: not its fault, and the lookup has a deadline of its own.
        if (late === undefined || (late.state === 'open' && !late.configured)) return { out: [] };
        const lost = this.sessions.giveUp(late, now);
        if (lost === undefined) return { out: [] };
        lost.out.unshift({ to: 'log', level: 'warn', message: 'realtime session not ready in time' });
        return this.afterLoss(lost.slot, late.id, lost.out, now);
      }
      case 'redial': {
        const purpose = this.sessions.takeDialLater();
        return { out: purpose === undefined ? [] : this.dial(purpose, now) };
      }
      case 'session-max':
        if (this.host.phase() !== 'live' || this.sessions.replacing) return { out: [] };
        return {
          out: [
            {
              to: 'log',
              level: 'info',
              message: 'realtime session at its time limit: preparing a replacement',
            },
            ...this.dial('rollover', now),
          ],
        };
      case 'rollover-force':
        return { out: this.moveWhenQuiet(now, true) };
      case 'old-session':
        return { out: this.sessions.retireOld() };
    }
  }
}
