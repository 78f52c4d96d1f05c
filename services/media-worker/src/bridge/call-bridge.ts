import {
  type Agent,
  type CallControlRequest,
  CallSid,
  type StreamEndReason,
  type TranscriptRole,
} from '@switchboard/contracts';
import { assertNever } from '../assert-never.js';
import { AgentActions } from './agent-actions.js';
import { AgentPlayback } from './agent-playback.js';
import { CallControl } from './call-control.js';
import { CallEvents, transcriptText } from './call-events.js';
import { CallerInput } from './caller-input.js';
import { ConversationHistory } from './conversation-history.js';
import { STREAM_ENDINGS } from './endings.js';
import { type GreetingStore, OpeningGreeting } from './greeting.js';
import { ModelTurns } from './model-turns.js';
import {
  type GoodbyeCause,
  goodbyeResponse,
  greetingResponse,
  type ResponseRequest,
  repromptResponse,
  transferFailedResponse,
} from './prompts.js';
import { QuietWatch } from './quiet-watch.js';
import { type KeeperResult, SessionKeeper } from './session-keeper.js';
import { StreamEnding } from './stream-ending.js';
import type { TimerName } from './timers.js';
import { errorOutput } from './tool-output.js';
import { TransferFlow, type TransferPlan } from './transfer-flow.js';
import type {
  BridgeInput,
  BridgeOutput,
  PastSegment,
  PreparedSession,
  RealtimeInput,
  TransferFailure,
} from './types.js';

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
  /** While one of the agent's tools runs and the agent is quiet, how long before it says a holding line. */
  toolFillerAfterMs: number;
  /** Agents' greetings kept by the worker (KEEP_GREETING_AUDIO); none: every call asks the model for it. */
  greetings?: GreetingStore | undefined;
  /** This worker's id, carried by the stream's `started`/`stopped` events (the registry's lease on them). */
  workerId?: string | undefined;
}

/** After the agent's last words are asked for, how long they may take to play before the call goes on. */
export const GOODBYE_MAX_WAIT_MS = 30_000;
/** After a voicemail message is asked for, how long it may take to play (a long message is a minute). */
export const VOICEMAIL_MAX_WAIT_MS = 120_000;
/** After Twilio took a transfer, how long its `stop` of the stream may take. */
export const TRANSFER_STOP_WAIT_MS = 10_000;
/** Reprompts after the agent's idle timeout when it names no number. */
export const DEFAULT_IDLE_REPROMPTS = 2;

/**
 * Where the call is: waiting for Twilio's `start`, looking it up, live, `ending` (the agent's last words
 * play, then the stream closes), `transferring` (last words, then Twilio hands the call over), `closing`
 * (the stream is over; Twilio's socket waits for the `ended` event to be stored), ended.
 */
type Phase = 'awaiting-start' | 'looking-up' | 'live' | 'ending' | 'transferring' | 'closing' | 'ended';
/** Returned for inputs with nothing to do; frozen, so that no caller can add to it by mistake. */
const NOTHING = Object.freeze([]) as unknown as BridgeOutput[];

/**
 * The call bridge: Twilio on one side, OpenAI Realtime sessions on the other, and the one owner of a call's
 * lifecycle. A deterministic state machine without I/O or clock: `handle(input, now)` updates the state and
 * returns what to do, in order — frames to send, sockets to dial and close, events to publish, tools to
 * call, timers to set (bridge/timers.ts lists them all). It alone knows the call's phase, why it ended, and
 * its deadlines; its parts keep their own bookkeeping (sessions, playback, tools, keys, transfer) and report
 * what the phase must follow. The session that runs it only carries out its outputs.
 */
export class CallBridge {
  private phase: Phase = 'awaiting-start';
  private callSid = '';
  private streamSid = '';
  private startedAt = 0;
  private agent: Agent | undefined;
  private readonly events = new CallEvents();
  private readonly playback = new AgentPlayback(() => this.streamSid);
  private readonly caller = new CallerInput(() => this.startedAt);
  private readonly history = new ConversationHistory();
  private readonly turns = new ModelTurns();
  private readonly actions: AgentActions;
  private readonly keeper: SessionKeeper;
  private readonly control = new CallControl(() => this.agent);
  private readonly transfer = new TransferFlow(this.events, () => this.callSid);
  private readonly quiet = new QuietWatch();
  private readonly greeting: OpeningGreeting;
  /** A stream that brings the caller back after a failed transfer: seeded from `call.transcript`. */
  private transferFailed: TransferFailure | undefined;
  private historyPending = false;
  /** The call went live on a session prepared while it rang, before the lookup answered. */
  private adopted = false;
  /** Keys pressed before the agent (and its keypad setting) was known. */
  private earlyKeys: string[] = [];
  /** Phase `ending`: why the call ends once the agent's last words have played. */
  private lastWords: { reason: StreamEndReason; detail: string } | undefined;
  /**
   * A machine answered and the agent leaves the voicemail message (phase `ending`): the machine's audio no
   * longer reaches the model, so nothing it records (or its VAD hears) interrupts or answers the message.
   */
  private leavingMessage = false;
  private readonly ending = new StreamEnding(this.events, this.control);

  constructor(private readonly options: BridgeOptions) {
    this.greeting = new OpeningGreeting(options.greetings, this.playback);
    this.actions = new AgentActions(
      { callSid: () => this.callSid, agent: () => this.agent, connection: () => this.keeper.current?.id },
      this.turns,
      this.events,
      this.playback,
    );
    const { caller, playback, turns, actions, events, history } = this;
    this.keeper = new SessionKeeper(
      options,
      {
        agent: () => this.agent,
        mayConfigure: () => !this.historyPending,
        phase: () => (this.phase === 'live' || this.phase === 'ending' ? this.phase : 'other'),
        opening: () => this.opening(),
      },
      { caller, playback, turns, actions, events, history },
    );
  }

  handle(input: BridgeInput, now: number): BridgeOutput[] {
    // The relay first: 50 caller frames a second, and nothing else to decide for them once live.
    if (input.kind === 'caller-audio') {
      // A machine's audio is neither relayed nor held while the message is left.
      if (this.leavingMessage) return NOTHING;
      const session = this.keeper.current;
      if (session?.state === 'ready' && this.phase !== 'ended') {
        this.caller.sent(input.payload, input.timestampMs);
        return [{ to: 'realtime-audio', connection: session.id, payload: input.payload }];
      }
      return this.holdCallerAudio(input.payload, input.timestampMs, now);
    }
    if (this.phase === 'ended' || this.phase === 'closing') return this.afterEnd(input);
    const out = this.dispatch(input, now);
    return input.kind === 'agent-audio' ? out : this.watchQuiet(out, now);
  }

  private dispatch(input: Exclude<BridgeInput, { kind: 'caller-audio' }>, now: number): BridgeOutput[] {
    const { keeper } = this;
    switch (input.kind) {
      case 'stream-opened':
        return [this.timer('stream-start', now + this.options.streamStartTimeoutMs)];
      case 'twilio-start':
        return this.onStart(input, now);
      case 'call-found':
        return this.onCallFound(input.agent, input.answeredAt, now);
      case 'lookup-failed':
        if (this.adopted && !input.notFound) {
          const message = 'call lookup failed: the call goes on with the reservation’s agent';
          return [{ to: 'log', level: 'warn', message }];
        }
        this.events.shut();
        return this.end(input.notFound ? 'unknown-call' : 'lookup-failed', now);
      case 'history-loaded':
        return this.onHistory(input.segments, now);
      case 'mark-echoed': {
        this.playback.markEchoed(input.name);
        const pressed = this.actions.afterEcho(now);
        const after = this.afterPlayback(now);
        return pressed.length === 0 ? after : pressed.concat(after);
      }
      case 'caller-dtmf':
        return this.onKey(input.digit, input.sequenceNumber, now);
      case 'agent-audio': {
        if (!keeper.isCurrent(input.connection)) return NOTHING;
        const { connection, responseId, itemId, contentIndex, payload } = input;
        if (this.greeting.isRecording) this.greeting.audio(connection, responseId, itemId, payload);
        const out = this.playback.audio(connection, responseId, itemId, contentIndex, payload, now);
        return out === undefined ? NOTHING : [out];
      }
      case 'response-created':
        if (!keeper.isCurrent(input.connection)) return NOTHING;
        this.playback.responseCreated(input.connection, input.responseId);
        this.turns.created(input.responseId);
        this.greeting.created(input.connection, input.responseId);
        return NOTHING;
      case 'response-done': {
        if (!keeper.isCurrent(input.connection)) return NOTHING;
        this.playback.responseDone(input.responseId);
        const out = this.greeting.done(input.connection, input.responseId, input.status);
        out.push(...this.turns.done(input.responseId));
        out.push(...this.actions.responseDone(input.responseId, this.phase === 'live'));
        return out.concat(this.afterPlayback(now));
      }
      case 'speech-started':
        return this.onSpeech(input, now);
      case 'speech-stopped':
        if (!keeper.isCurrent(input.connection)) return NOTHING;
        this.caller.speechStopped(input.audioEndMs);
        return this.afterPlayback(now);
      case 'caller-transcript':
        if (!keeper.sessions.owesTranscripts(input.connection)) return NOTHING;
        return this.transcript(
          'caller',
          input.itemId,
          input.text,
          this.caller.transcriptAt(input.itemId, now),
        );
      case 'agent-transcript': {
        if (!keeper.sessions.owesTranscripts(input.connection)) return NOTHING;
        this.greeting.transcript(input.itemId, input.text);
        const at = this.playback.transcriptAt(input.itemId, now);
        return at === undefined ? NOTHING : this.transcript('agent', input.itemId, input.text, at);
      }
      case 'function-call':
        return this.onFunctionCall(input, now);
      case 'tool-result':
        return this.actions.toolResult(input.callId, input.result, now, this.phase === 'live');
      case 'transfer-result':
        return this.onTransferResult(input.accepted ? undefined : input.reason, now);
      case 'control':
        return this.onControl(input.requestId, input.request, now);
      case 'event-stored':
        return NOTHING;
      case 'realtime-open':
        return keeper.realtimeOpen(input.connection, now);
      case 'session-ready':
        return keeper.sessionReady(input.connection, now);
      case 'realtime-closed':
        this.greeting.sessionLost(input.connection);
        return this.afterSessions(keeper.realtimeClosed(input.connection, input.detail, now), now);
      case 'timer-fired':
        return this.onTimer(input.timer, now);
      case 'twilio-stopped':
        return this.end(this.transferTaken() ? 'transferred' : 'twilio-stopped', now);
      case 'twilio-closed':
        return this.end(this.transferTaken() ? 'transferred' : 'twilio-closed', now);
      case 'replaced':
        return this.end('replaced', now);
      case 'drained':
        return this.end('drained', now);
      case 'no-room':
        return this.end('worker-full', now);
      default:
        return assertNever(input);
    }
  }

  private onStart(input: Extract<BridgeInput, { kind: 'twilio-start' }>, now: number): BridgeOutput[] {
    if (this.phase !== 'awaiting-start') return [{ to: 'ignored', source: 'twilio', reason: 'second start' }];
    const { callSid, streamSid, callSidParameter } = input;
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
    this.transferFailed = input.transferFailed;
    this.historyPending = input.transferFailed !== undefined;
    this.events.started(callSid, streamSid, now, this.options.workerId);
    const { prepared } = input;
    if (prepared?.callSid === callSid && !this.historyPending) return this.adopt(prepared, streamSid, now);
    this.phase = 'looking-up';
    // The Realtime socket is dialled while the lookup runs.
    return [
      { to: 'clear-timer', timer: 'stream-start' },
      { to: 'claim', callSid, streamSid, history: this.historyPending },
      ...this.keeper.dial('first', now),
    ];
  }

  /**
   * The stream's call had a Realtime session prepared while its phone rang (src/warm/): the call goes live
   * now with that session and the reservation's agent, without waiting for the lookup. Safe because the
   * start is checked as any other (its callSid is valid and matches the callSid `<Parameter>`, on an upgrade
   * Twilio signed) and must name the very call the session was prepared for; the reservation carried the
   * Call the registry registered moments before, so its events are published at once. The lookup still
   * runs: a call the registry does not know ends as today, and its answer time bounds `max-call`.
   */
  private adopt(prepared: PreparedSession, streamSid: string, now: number): BridgeOutput[] {
    this.adopted = true;
    const out: BridgeOutput[] = [
      { to: 'clear-timer', timer: 'stream-start' },
      { to: 'claim', callSid: this.callSid, streamSid, history: false },
      ...this.events.open(),
      ...this.goLive(prepared.agent, prepared.answeredAt, now),
    ];
    return out.concat(this.keeper.adopt(prepared, now));
  }

  private onCallFound(agent: Agent, answeredAt: number | undefined, now: number): BridgeOutput[] {
    const out = this.events.open();
    if (this.adopted) {
      // Live already; the registry's answer time, when the reservation had none, bounds the call's length.
      const limit = this.agent?.maxCallSeconds;
      if (this.phase === 'live' && limit && answeredAt !== undefined)
        out.push(this.timer('max-call', answeredAt + limit * 1_000));
      return out;
    }
    if (this.phase !== 'looking-up') return out;
    out.push(...this.goLive(agent, answeredAt, now), ...this.keeper.agentKnown(now));
    for (const key of this.earlyKeys.splice(0)) out.push(...this.actions.key(key, now));
    for (const early of this.control.takeEarly())
      out.push(...this.onControl(early.requestId, early.request, now));
    return out;
  }

  /**
   * The call's agent is known: the call is live, with its keypad and its length limit, and its kept
   * greeting (if the worker has one for it) plays now, before any session needs to be ready.
   */
  private goLive(agent: Agent, answeredAt: number | undefined, now: number): BridgeOutput[] {
    this.agent = agent;
    this.phase = 'live';
    this.actions.setKeypad(agent.keypad);
    const out: BridgeOutput[] = [];
    if (agent.maxCallSeconds)
      out.push(this.timer('max-call', (answeredAt ?? this.startedAt) + agent.maxCallSeconds * 1_000));
    const kept = this.transferFailed === undefined ? this.greeting.play(agent, now) : undefined;
    if (kept === undefined) return out;
    out.push(...kept.out, ...this.events.transcript('agent', `${this.streamSid}:greeting`, kept.text, now));
    return out;
  }

  /** The conversation before this stream (after a failed transfer): what its first session is seeded with. */
  private onHistory(segments: PastSegment[], now: number): BridgeOutput[] {
    if (!this.historyPending) return NOTHING;
    this.historyPending = false;
    for (const { role, text, at } of segments) {
      const said = transcriptText(text);
      if ((role === 'caller' || role === 'agent') && said !== '') this.history.add(role, said, at);
    }
    return this.keeper.agentKnown(now);
  }

  /** What the agent opens the call with: its greeting, or, back from a failed transfer, what became of it. */
  private opening(): ResponseRequest | undefined {
    // A machine answered before the first session was ready: the message is all it hears.
    if (this.leavingMessage) return undefined;
    if (this.transferFailed !== undefined) return transferFailedResponse(this.transferFailed).response;
    const agent = this.agent;
    if (!agent?.greeting) return undefined;
    if (!this.greeting.kept) {
      this.greeting.record(agent);
      return greetingResponse(agent.greeting).response;
    }
    // The kept greeting played: the model is told it said it (queued: the session is not the turns' yet).
    const session = this.keeper.current;
    const said = session === undefined ? undefined : this.greeting.item(session.id);
    if (said !== undefined) {
      this.turns.add(said.event);
      this.history.add('agent', said.text, said.at);
    }
    return undefined;
  }

  private holdCallerAudio(payload: Uint8Array, timestampMs: number, now: number): BridgeOutput[] {
    if (this.phase === 'awaiting-start')
      return [{ to: 'ignored', source: 'twilio', reason: 'media before start' }];
    if (this.phase === 'ended' || this.phase === 'closing') return NOTHING;
    this.caller.hold(payload, timestampMs);
    if (this.caller.heldMs > this.options.maxHeldAudioMs) {
      const detail = `more than ${this.options.maxHeldAudioMs} ms of caller audio waited`;
      return this.end('realtime-not-ready', now, detail);
    }
    return NOTHING;
  }

  private onSpeech(input: Extract<RealtimeInput, { kind: 'speech-started' }>, now: number): BridgeOutput[] {
    if (!this.keeper.isCurrent(input.connection) || this.leavingMessage) return NOTHING;
    this.caller.speechStarted(input.itemId, input.audioStartMs);
    this.quiet.callerActive();
    const out = this.playback.bargeIn(input.connection);
    const cleared = out.some((o) => o.to === 'twilio' && o.message.event === 'clear');
    if (!cleared) return out;
    return out.concat(this.greeting.afterBargeIn(input.connection), this.actions.afterClear(now));
  }

  private onKey(key: string, sequenceNumber: string | undefined, now: number): BridgeOutput[] {
    if (this.phase === 'awaiting-start')
      return [{ to: 'ignored', source: 'twilio', reason: 'dtmf before start' }];
    const out = this.events.dtmf(key, sequenceNumber, now);
    if (this.phase === 'looking-up') this.earlyKeys.push(key);
    if (this.phase !== 'live') return out;
    this.quiet.callerActive();
    return out.concat(this.quiet.restart('idle'), this.actions.key(key, now));
  }

  /** What a session event leaves: the call cannot go on, or it may end now that its session is gone. */
  private afterSessions(result: KeeperResult, now: number): BridgeOutput[] {
    if (result.giveUp !== undefined)
      return result.out.concat(this.end('realtime-failed', now, result.giveUp));
    if (result.lostWhileEnding) return result.out.concat(this.afterPlayback(now));
    return result.out;
  }

  // --------------------------------------------------------------------------------------------- timers

  private onTimer(timer: TimerName, now: number): BridgeOutput[] {
    switch (timer) {
      case 'stream-start':
        return this.phase === 'awaiting-start' ? this.end('no-start', now) : NOTHING;
      case 'session-ready':
      case 'redial':
      case 'session-max':
      case 'rollover-force':
      case 'old-session':
        return this.afterSessions(this.keeper.timer(timer, now), now);
      case 'goodbye-playout':
        if (this.phase === 'ending' && this.lastWords)
          return this.end(this.lastWords.reason, now, this.lastWords.detail);
        if (this.phase === 'transferring' && this.transfer.waitingForPlayout)
          return this.transfer.request(now);
        return NOTHING;
      case 'transfer-stop':
        return this.phase === 'transferring' ? this.end('transferred', now) : NOTHING;
      case 'ended-ack':
        return NOTHING;
      case 'idle': {
        if (this.phase !== 'live') return NOTHING;
        const allowed = this.agent?.idleReprompts ?? DEFAULT_IDLE_REPROMPTS;
        const next = this.quiet.idle(allowed);
        if (next === 'goodbye')
          return this.beginEnding(`the caller did not answer ${allowed} reprompts`, now, 'idle');
        const log: BridgeOutput = {
          to: 'log',
          level: 'info',
          message: 'caller silent: reprompting',
          fields: next,
        };
        return [log, ...this.turns.respond(repromptResponse())];
      }
      case 'max-call': {
        if (this.phase !== 'live') return NOTHING;
        const detail = `the call reached its maximum length of ${this.agent?.maxCallSeconds} s`;
        return this.beginEnding(detail, now, 'max-call');
      }
      case 'tool-filler':
        this.quiet.fired('tool-filler');
        return this.phase === 'live' ? this.actions.filler() : NOTHING;
      case 'keypad-pause':
        return this.phase === 'live' ? this.actions.keypadPaused() : NOTHING;
      default:
        return assertNever(timer);
    }
  }

  /**
   * The deadlines that run while nobody speaks, after every input: idle (nothing pending at all) and the
   * holding line (only a tool is pending).
   */
  private watchQuiet(out: BridgeOutput[], now: number): BridgeOutput[] {
    const { turns, playback, caller, actions } = this;
    const quiet =
      this.phase === 'live' &&
      turns.ready &&
      !turns.busy &&
      !playback.speaking &&
      !caller.speaking &&
      !actions.pressingKeys;
    // The common case (someone speaks, nothing armed) costs nothing: a mark echo is 50 inputs a second.
    if (!quiet && !this.quiet.armed) return out;
    const idleMs = this.agent?.idleTimeoutMs;
    const { tools } = actions;
    const changes = this.quiet.update(
      quiet && idleMs && !tools.pending && !actions.gatheringKeys ? now + idleMs : undefined,
      quiet && tools.httpPending && !tools.fillerSaid ? now + this.options.toolFillerAfterMs : undefined,
    );
    return changes.length === 0 ? out : out.concat(changes);
  }

  // ----------------------------------------------------------------------------------- tools and control

  private onFunctionCall(
    input: Extract<RealtimeInput, { kind: 'function-call' }>,
    now: number,
  ): BridgeOutput[] {
    if (!this.keeper.isCurrent(input.connection)) return NOTHING;
    if (this.phase !== 'live') {
      const fields = { tool: input.name };
      return [{ to: 'log', level: 'info', message: 'tool call ignored: the call is ending', fields }];
    }
    const { out, lifecycle } = this.actions.functionCall(input, now);
    if (lifecycle === undefined) return out.concat(this.afterPlayback(now));
    if (lifecycle.kind === 'end-call') {
      out.push(...this.actions.settle(lifecycle.callId, 'the agent ended the call', now));
      return out.concat(this.beginEnding(STREAM_ENDINGS['agent-ended'].text, now));
    }
    const { callId, target, to, reason } = lifecycle;
    return out.concat(this.beginTransfer({ target, to, reason, callId, by: 'agent' }, now));
  }

  private onControl(requestId: number, request: CallControlRequest, now: number): BridgeOutput[] {
    const phase = this.phase;
    if (phase === 'looking-up' || phase === 'awaiting-start') {
      this.control.defer(requestId, request);
      return NOTHING;
    }
    const notLive = phase === 'live' ? undefined : phase === 'closing' ? 'ended' : phase;
    const decision = this.control.decide(request, notLive);
    const out: BridgeOutput[] = [{ to: 'control-reply', requestId, answer: decision.answer }];
    switch (decision.action?.kind) {
      case undefined:
        return out;
      case 'hangup':
        out.push({ to: 'log', level: 'info', message: 'an operator hung up' });
        return out.concat(this.end('operator-ended', now));
      case 'say':
        return out.concat(this.turns.respond(decision.action.response));
      case 'voicemail':
        return out.concat(this.leaveMessage(decision.action.response, now));
      case 'transfer':
        return out.concat(this.beginTransfer(decision.action.plan, now));
      default:
        return assertNever(decision.action);
    }
  }

  // ---------------------------------------------------------------------------------- transfer, endings

  private beginTransfer(plan: TransferPlan, now: number): BridgeOutput[] {
    this.phase = 'transferring';
    this.transfer.begin(plan);
    this.turns.dropResponses();
    const fields = { target: plan.target, by: plan.by };
    const out: BridgeOutput[] = [
      { to: 'log', level: 'info', message: 'transfer asked', fields },
      this.timer('goodbye-playout', now + GOODBYE_MAX_WAIT_MS),
      ...this.keeper.sessions.stopReplacing(),
    ];
    return out.concat(this.afterPlayback(now));
  }

  /** Twilio took the transfer (`refused` undefined), or did not: then the call goes on with the agent. */
  private onTransferResult(refused: string | undefined, now: number): BridgeOutput[] {
    if (this.phase !== 'transferring' || !this.transfer.requested) return NOTHING;
    if (refused === undefined) {
      const plan = this.transfer.accepted();
      const out = plan?.callId ? this.actions.settle(plan.callId, `transferred to ${plan.target}`, now) : [];
      return out.concat(this.timer('transfer-stop', now + TRANSFER_STOP_WAIT_MS));
    }
    this.phase = 'live';
    const outcome = this.transfer.refused(refused, now);
    if (outcome === undefined) return NOTHING;
    const { plan, text, out } = outcome;
    if (plan.callId) {
      out.push(...this.actions.answer(plan.callId, errorOutput(`${text}. Tell the caller and go on.`), now));
    }
    return out.concat(this.afterPlayback(now));
  }

  /** Twilio is taking the call to its transfer: the stream's end is the transfer's. */
  private transferTaken(): boolean {
    return this.phase === 'transferring' && this.transfer.taken;
  }

  /**
   * The call is to end once the agent's last words have played: those of the response under way (end_call),
   * or a goodbye asked for now (`goodbye`: no answer, or the call's length limit).
   */
  private beginEnding(detail: string, now: number, goodbye?: GoodbyeCause): BridgeOutput[] {
    this.phase = 'ending';
    this.lastWords = { reason: 'agent-ended', detail };
    this.turns.dropResponses();
    const out: BridgeOutput[] = [
      { to: 'log', level: 'info', message: 'the agent is ending the call', fields: { detail } },
      this.timer('goodbye-playout', now + GOODBYE_MAX_WAIT_MS),
      ...this.keeper.sessions.stopReplacing(),
    ];
    // Said as soon as a session can (one being replaced says it once ready); GOODBYE_MAX_WAIT_MS bounds it.
    if (goodbye !== undefined) out.push(...this.turns.respond(goodbyeResponse(goodbye)));
    return out.concat(this.afterPlayback(now));
  }

  /**
   * A machine answered (the gateway's AMD callback, after its greeting and beep): whatever the agent was
   * saying stops — Twilio's queue cleared, the running response cancelled, as for a barge-in — the message is
   * said, and once it has played the call ends as the agent ending it does (the gateway's TwiML hangs up).
   */
  private leaveMessage(message: ResponseRequest, now: number): BridgeOutput[] {
    this.phase = 'ending';
    this.leavingMessage = true;
    this.lastWords = { reason: 'agent-ended', detail: 'an answering machine answered: the message was left' };
    this.turns.dropResponses();
    const out: BridgeOutput[] = [
      { to: 'log', level: 'info', message: 'an answering machine answered: leaving the message' },
      ...this.playback.bargeIn(this.keeper.current?.id),
      this.timer('goodbye-playout', now + VOICEMAIL_MAX_WAIT_MS),
      ...this.keeper.sessions.stopReplacing(),
      ...this.turns.respond(message),
    ];
    return out.concat(this.afterPlayback(now));
  }

  /** Something played or finished: the last words may be over, keys may be pressed, a replacement may move. */
  private afterPlayback(now: number): BridgeOutput[] {
    if (this.playback.speaking || this.turns.busy) return NOTHING;
    if (this.phase === 'ending' && this.lastWords)
      return this.end(this.lastWords.reason, now, this.lastWords.detail);
    if (this.phase === 'transferring' && this.transfer.waitingForPlayout) return this.transfer.request(now);
    if (this.phase === 'live' && this.actions.pressingKeys) {
      const tones = this.actions.playTones();
      if (tones.length > 0) return tones;
    }
    return this.keeper.moveWhenQuiet(now);
  }

  private end(
    reason: StreamEndReason,
    now: number,
    detail: string = STREAM_ENDINGS[reason].text,
  ): BridgeOutput[] {
    const claimed = this.callSid !== '';
    const out = claimed ? this.actions.unsaidKeys() : [];
    this.playback.clear();
    this.caller.clear();
    this.turns.clear();
    this.actions.clear();
    const ended = this.ending.end(reason, detail, claimed, now);
    // Closing: Twilio's socket stays open until the registry can know why (the gateway asks it next).
    this.phase = ended.closing ? 'closing' : 'ended';
    out.push(...ended.out);
    if (ended.closing) out.push(...this.keeper.sessions.closeAll());
    else this.keeper.sessions.clear();
    return out;
  }

  /** After the end, or while closing. */
  private afterEnd(input: Exclude<BridgeInput, { kind: 'caller-audio' }>): BridgeOutput[] {
    const { out, finished } = this.ending.afterEnd(input);
    if (finished) this.phase = 'ended';
    return out;
  }

  /** A transcript segment: published, and remembered for a new session. */
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
