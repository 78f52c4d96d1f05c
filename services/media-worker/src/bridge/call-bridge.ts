import { type Agent, CallSid, type StreamEndReason, type TranscriptRole } from '@switchboard/contracts';
import { assertNever } from '../assert-never.js';
import { AgentPlayback } from './agent-playback.js';
import { CallEvents, transcriptText } from './call-events.js';
import { CallerInput } from './caller-input.js';
import { ConversationHistory } from './conversation-history.js';
import { STREAM_ENDINGS } from './endings.js';
import { RealtimeSessions, type SessionSlot } from './realtime-sessions.js';
import { greetingResponse, sessionUpdateFor } from './session-config.js';
import type { TimerName } from './timers.js';
import type { BridgeInput, BridgeOutput, ConnectionId, DialPurpose } from './types.js';

export interface BridgeOptions {
  /** The model the first socket is dialled with while the lookup runs (most agents use it). */
  defaultModel: string;
  transcriptionModel: string;
  streamStartTimeoutMs: number;
  /** Dial to `session.updated`, for each Realtime socket. */
  sessionReadyTimeoutMs: number;
  /** A session is replaced after this long (OpenAI ends sessions at 60 minutes). */
  sessionMaxMs: number;
  /** Caller audio held while no session is ready; beyond it the call ends rather than lose any. */
  maxHeldAudioMs: number;
}

/** After the agent asks to hang up, how long its goodbye may take to play before the stream closes. */
export const END_CALL_MAX_WAIT_MS = 30_000;

type Phase = 'awaiting-start' | 'looking-up' | 'live' | 'ending' | 'ended';
/** Returned for inputs with nothing to do; frozen, so that no caller can add to it by mistake. */
const NOTHING = Object.freeze([]) as unknown as BridgeOutput[];

/**
 * The call bridge: Twilio on one side, OpenAI Realtime sessions on the other, and the one owner of a call's
 * lifecycle. A deterministic state machine without I/O or clock: `handle(input, now)` updates the state and
 * returns what to do, in order — frames to send, sockets to dial and close, events to publish, timers to
 * set (bridge/timers.ts lists them all). It knows whether the call is ready, live, ending or over, why it
 * ended, and when a session must be replaced; the session that runs it only carries out its outputs.
 */
export class CallBridge {
  private phase: Phase = 'awaiting-start';
  private callSid = '';
  private streamSid = '';
  private startedAt = 0;
  private agent: Agent | undefined;
  private readonly events = new CallEvents();
  private readonly sessions: RealtimeSessions;
  private readonly playback = new AgentPlayback(() => this.streamSid);
  private readonly caller = new CallerInput(() => this.startedAt);
  private readonly history = new ConversationHistory();
  private greeted = false;

  constructor(private readonly options: BridgeOptions) {
    this.sessions = new RealtimeSessions(options);
  }

  handle(input: BridgeInput, now: number): BridgeOutput[] {
    // The relay first: 50 caller frames a second, and nothing else to decide for them once live.
    if (input.kind === 'caller-audio') {
      const session = this.sessions.current;
      if (session?.state === 'ready' && this.phase !== 'ended') {
        this.caller.sent(input.payload, input.timestampMs);
        return [{ to: 'realtime-audio', connection: session.id, payload: input.payload }];
      }
      return this.holdCallerAudio(input.payload, input.timestampMs, now);
    }
    if (this.phase === 'ended') {
      // Only the lookup still matters: it says whether the ended stream's events are owed to the registry.
      if (input.kind === 'call-found') return this.events.open();
      if (input.kind === 'lookup-failed') this.events.shut();
      return NOTHING;
    }
    switch (input.kind) {
      case 'stream-opened':
        return [this.timer('stream-start', now + this.options.streamStartTimeoutMs)];
      case 'twilio-start':
        return this.onStart(input.callSid, input.streamSid, input.callSidParameter, now);
      case 'call-found':
        return this.onCallFound(input.agent, now);
      case 'lookup-failed':
        this.events.shut();
        return this.end(input.notFound ? 'unknown-call' : 'lookup-failed', now);
      case 'mark-echoed':
        this.playback.markEchoed(input.name);
        return this.afterPlayback(now);
      case 'caller-dtmf':
        if (this.phase === 'awaiting-start')
          return [{ to: 'ignored', source: 'twilio', reason: 'dtmf before start' }];
        return this.events.dtmf(input.digit, input.sequenceNumber, now);
      case 'agent-audio': {
        if (input.connection !== this.sessions.current?.id) return NOTHING;
        const { connection, responseId, itemId, contentIndex, payload } = input;
        const out = this.playback.audio(connection, responseId, itemId, contentIndex, payload, now);
        return out === undefined ? NOTHING : [out];
      }
      case 'response-created':
        if (this.isCurrent(input.connection))
          this.playback.responseCreated(input.connection, input.responseId);
        return NOTHING;
      case 'response-done':
        if (!this.isCurrent(input.connection)) return NOTHING;
        this.playback.responseDone(input.responseId);
        return this.afterPlayback(now);
      case 'speech-started':
        if (!this.isCurrent(input.connection)) return NOTHING;
        this.caller.speechStarted(input.itemId, input.audioStartMs);
        return this.playback.bargeIn(input.connection);
      case 'speech-stopped':
        if (!this.isCurrent(input.connection)) return NOTHING;
        this.caller.speechStopped(input.audioEndMs);
        return this.afterPlayback(now);
      case 'caller-transcript':
        if (!this.sessions.owesTranscripts(input.connection)) return NOTHING;
        return this.transcript(
          'caller',
          input.itemId,
          input.text,
          this.caller.transcriptAt(input.itemId, now),
        );
      case 'agent-transcript': {
        if (!this.sessions.owesTranscripts(input.connection)) return NOTHING;
        const at = this.playback.transcriptAt(input.itemId, now);
        return at === undefined ? NOTHING : this.transcript('agent', input.itemId, input.text, at);
      }
      case 'end-call-requested':
        return this.onEndCallRequested(input.connection, now);
      case 'realtime-open':
        return this.onRealtimeOpen(input.connection, now);
      case 'session-ready':
        return this.onSessionReady(input.connection, now);
      case 'realtime-closed':
        return this.onRealtimeClosed(input.connection, input.detail, now);
      case 'timer-fired':
        return this.onTimer(input.timer, now);
      case 'twilio-stopped':
        return this.end('twilio-stopped', now);
      case 'twilio-closed':
        return this.end('twilio-closed', now);
      case 'replaced':
        return this.end('replaced', now);
      case 'drained':
        return this.end('drained', now);
      default:
        return assertNever(input);
    }
  }

  private isCurrent(connection: ConnectionId): boolean {
    return connection === this.sessions.current?.id;
  }

  private onStart(
    callSid: string,
    streamSid: string,
    callSidParameter: string | undefined,
    now: number,
  ): BridgeOutput[] {
    if (this.phase !== 'awaiting-start') return [{ to: 'ignored', source: 'twilio', reason: 'second start' }];
    this.streamSid = streamSid;
    if (callSidParameter !== callSid || !CallSid.safeParse(callSid).success) {
      const detail =
        callSidParameter === undefined
          ? 'the stream has no callSid parameter'
          : 'the callSid parameter does not match the call of the stream';
      return this.end('bad-start', now, detail);
    }
    this.callSid = callSid;
    this.startedAt = now;
    this.events.started(callSid, streamSid, now);
    this.phase = 'looking-up';
    // The Realtime socket is dialled while the lookup runs.
    return [
      { to: 'clear-timer', timer: 'stream-start' },
      { to: 'claim', callSid, streamSid },
      ...this.dial('first', now),
    ];
  }

  private onCallFound(agent: Agent, now: number): BridgeOutput[] {
    const out = this.events.open();
    if (this.phase !== 'looking-up') return out;
    this.agent = agent;
    this.phase = 'live';
    const session = this.sessions.current;
    if (session !== undefined && session.model !== agent.model) {
      out.push(...this.sessions.retire(session), ...this.dial('model', now));
    } else if (session?.state === 'open') {
      out.push(...this.configure(session, now));
    }
    return out;
  }

  private holdCallerAudio(payload: Uint8Array, timestampMs: number, now: number): BridgeOutput[] {
    if (this.phase === 'awaiting-start')
      return [{ to: 'ignored', source: 'twilio', reason: 'media before start' }];
    if (this.phase === 'ended') return NOTHING;
    this.caller.hold(payload, timestampMs);
    if (this.caller.heldMs > this.options.maxHeldAudioMs) {
      return this.end(
        'realtime-not-ready',
        now,
        `more than ${this.options.maxHeldAudioMs} ms of caller audio waited`,
      );
    }
    return NOTHING;
  }

  // ------------------------------------------------------------------------------------ Realtime sessions

  private dial(purpose: DialPurpose, now: number): BridgeOutput[] {
    const model = this.agent?.model ?? this.options.defaultModel;
    return this.sessions.dial(purpose, model, now);
  }

  /** The session update for the call's agent, and what was said so far for a session that joins midway. */
  private configure(session: SessionSlot, now: number): BridgeOutput[] {
    const agent = this.agent as Agent;
    const update = sessionUpdateFor(agent, { transcriptionModel: this.options.transcriptionModel });
    const out: BridgeOutput[] = this.sessions.configuring(session, now);
    out.push({ to: 'realtime', connection: session.id, message: update });
    for (const message of this.history.seed()) out.push({ to: 'realtime', connection: session.id, message });
    return out;
  }

  private onRealtimeOpen(connection: ConnectionId, now: number): BridgeOutput[] {
    const session = this.sessions.opened(connection);
    if (session === undefined || this.agent === undefined) return NOTHING;
    return this.configure(session, now);
  }

  private onSessionReady(connection: ConnectionId, now: number): BridgeOutput[] {
    const ready = this.sessions.ready(connection, now);
    if (ready === undefined) return NOTHING;
    return ready.out.concat(ready.slot === 'current' ? this.begin(now) : this.moveWhenQuiet(now));
  }

  /** The current session is ready: held audio goes to it, the agent greets once, its time limit starts. */
  private begin(now: number): BridgeOutput[] {
    const session = this.sessions.current;
    if (session === undefined) return NOTHING;
    const out: BridgeOutput[] = [this.timer('session-max', now + this.options.sessionMaxMs)];
    out.push(...this.caller.release(session.id));
    const greeting = this.agent?.greeting;
    if (!this.greeted && greeting) {
      this.greeted = true;
      out.push({ to: 'realtime', connection: session.id, message: greetingResponse(greeting) });
    }
    const move = this.sessions.takeMoveNote();
    if (move !== undefined) {
      out.push({ to: 'log', level: 'info', message: 'realtime session moved', fields: move.fields });
      out.push(...this.transcript('event', `session-${this.streamSid}-${session.id}`, move.text, now));
    }
    return out;
  }

  /** A replacement is ready: it takes over at a moment nobody speaks (or when `force`d). */
  private moveWhenQuiet(now: number, force = false): BridgeOutput[] {
    if (!this.sessions.replacementReady || this.phase !== 'live') return NOTHING;
    if (!force && (this.playback.speaking || this.caller.speaking)) return NOTHING;
    const out = this.sessions.promote(now);
    this.caller.newSession();
    return out.concat(this.begin(now));
  }

  private onRealtimeClosed(connection: ConnectionId, detail: string, now: number): BridgeOutput[] {
    const lost = this.sessions.lost(connection, detail, now);
    if (lost === undefined) return NOTHING;
    lost.out.unshift({
      to: 'log',
      level: 'warn',
      message: 'realtime socket lost',
      fields: { connection, detail },
    });
    return lost.out.concat(this.afterLoss(lost.slot, connection, now));
  }

  /** After a failed or lost socket: carry on with what is left, dial again, or give up. */
  private afterLoss(slot: 'current' | 'replacement', connection: ConnectionId, now: number): BridgeOutput[] {
    if (slot === 'current') {
      this.playback.sessionLost(connection);
      // The agent has said goodbye: no new session, the call ends once what is queued has played.
      if (this.phase === 'ending') return this.afterPlayback(now);
      this.caller.sessionLost();
      // A replacement that was on its way took the lost one's place.
      const taken = this.sessions.current;
      if (taken !== undefined) return taken.state === 'ready' ? this.begin(now) : NOTHING;
    }
    const plan = this.sessions.redial(slot);
    if (plan === 'give-up') {
      if (slot === 'replacement') {
        return [{ to: 'log', level: 'error', message: 'no replacement session: staying on the current one' }];
      }
      return this.end('realtime-failed', now, `${this.sessions.failures} Realtime sockets failed in a row`);
    }
    if (plan.delayMs === 0) return this.dial(plan.purpose, now);
    return [this.timer('redial', now + plan.delayMs)];
  }

  // --------------------------------------------------------------------------------------------- timers

  private onTimer(timer: TimerName, now: number): BridgeOutput[] {
    switch (timer) {
      case 'stream-start':
        return this.phase === 'awaiting-start' ? this.end('no-start', now) : NOTHING;
      case 'session-ready': {
        const late = this.sessions.lateSession();
        // The first socket may wait for the lookup: not its fault, and the lookup has a deadline of its own.
        if (late === undefined || (late.state === 'open' && !late.configured)) return NOTHING;
        const lost = this.sessions.giveUp(late, now);
        if (lost === undefined) return NOTHING;
        lost.out.unshift({ to: 'log', level: 'warn', message: 'realtime session not ready in time' });
        return lost.out.concat(this.afterLoss(lost.slot, late.id, now));
      }
      case 'redial': {
        const purpose = this.sessions.takeDialLater();
        return purpose === undefined ? NOTHING : this.dial(purpose, now);
      }
      case 'session-max':
        if (this.phase !== 'live' || this.sessions.replacing) return NOTHING;
        return [
          {
            to: 'log',
            level: 'info',
            message: 'realtime session at its time limit: preparing a replacement',
          },
          ...this.dial('rollover', now),
        ];
      case 'rollover-force':
        return this.moveWhenQuiet(now, true);
      case 'old-session':
        return this.sessions.retireOld();
      case 'end-call-playout':
        return this.phase === 'ending' ? this.end('agent-ended', now) : NOTHING;
      default:
        return assertNever(timer);
    }
  }

  // ------------------------------------------------------------------------------------------- endings

  private onEndCallRequested(connection: ConnectionId, now: number): BridgeOutput[] {
    if (!this.isCurrent(connection) || this.phase !== 'live') return NOTHING;
    this.phase = 'ending';
    const out: BridgeOutput[] = [
      { to: 'log', level: 'info', message: 'agent asked to end the call' },
      this.timer('end-call-playout', now + END_CALL_MAX_WAIT_MS),
      ...this.sessions.stopReplacing(),
    ];
    return out.concat(this.afterPlayback(now));
  }

  /** Something played or finished: a hang-up may be due, or a waiting replacement may take over. */
  private afterPlayback(now: number): BridgeOutput[] {
    if (this.phase === 'ending' && !this.playback.speaking) return this.end('agent-ended', now);
    return this.moveWhenQuiet(now);
  }

  private end(
    reason: StreamEndReason,
    now: number,
    detail: string = STREAM_ENDINGS[reason].text,
  ): BridgeOutput[] {
    const claimed = this.callSid !== '';
    this.phase = 'ended';
    this.sessions.clear();
    this.playback.clear();
    this.caller.clear();
    const out = claimed
      ? this.events.stopped(now, reason, STREAM_ENDINGS[reason].publishEnded ? { detail } : undefined)
      : [];
    out.push({ to: 'end', reason, detail });
    return out;
  }

  /** A transcript segment: published, and remembered for a new session (events are not conversation). */
  private transcript(role: TranscriptRole, itemId: string, text: string, at: number): BridgeOutput[] {
    const trimmed = transcriptText(text);
    if (trimmed === '') return NOTHING;
    if (role === 'caller' || role === 'agent') this.history.add(role, trimmed, at);
    return this.events.transcript(role, itemId, trimmed, at);
  }

  private timer(timer: TimerName, at: number): BridgeOutput {
    return { to: 'set-timer', timer, at };
  }
}
