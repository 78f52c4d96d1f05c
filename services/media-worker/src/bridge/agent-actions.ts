import {
  type Agent,
  type ConversationItemCreateEvent,
  type KeypadSetting,
  TOOL_DEFAULT_TIMEOUT_MS,
} from '@switchboard/contracts';
import type { AgentPlayback } from './agent-playback.js';
import {
  DTMF_DIGITS_PATTERN,
  END_CALL_TOOL_NAME,
  SEND_DTMF_TOOL_NAME,
  TRANSFER_CALL_TOOL_NAME,
} from './built-in-tools.js';
import type { CallEvents } from './call-events.js';
import { dtmfChunks } from './dtmf-tones.js';
import { type Entry, Keypad } from './keypad.js';
import type { ModelTurns } from './model-turns.js';
import { fillerResponse, keypadItem } from './prompts.js';
import { ToolCalls } from './tool-calls.js';
import { errorOutput, okOutput, type ToolOutput, toolOutput } from './tool-output.js';
import type { BridgeOutput, ConnectionId, RealtimeInput, ToolResult } from './types.js';

/** Returned when there is nothing to do; frozen, so that no caller can add to it. */
const NONE = Object.freeze([]) as unknown as BridgeOutput[];

/** What the call is, for its agent's actions: read when needed (the agent is known once the lookup answers). */
export interface ActionContext {
  callSid(): string;
  agent(): Agent | undefined;
  /** The call's current Realtime session. */
  connection(): ConnectionId | undefined;
}

/** A built-in tool call that changes the call's course: the bridge, owner of the lifecycle, carries it out. */
export type LifecycleRequest =
  | { kind: 'end-call'; callId: string }
  | { kind: 'transfer'; callId: string; target: string; to: string; reason: string };

export interface ActionResult {
  out: BridgeOutput[];
  lifecycle?: LifecycleRequest;
}

/** Keys `send_dtmf` is playing: the mark after each key's tone and pause. */
interface Tones {
  callId: string;
  keys: string;
  lastMarkOfKey: number[];
}

/**
 * What the agent does besides talking, for the bridge: its tools (the agent's own over HTTP, and the
 * built-in ones), the keys it presses (`send_dtmf`, as tones), and the keys the caller presses, on their way
 * to the model. It decides what the model is told and when it may go on; whether the call goes on is the
 * bridge's (`lifecycle`).
 */
export class AgentActions {
  readonly tools = new ToolCalls();
  private keypad = new Keypad(undefined);
  private toneQueue: { callId: string; keys: string } | undefined;
  private tones: Tones | undefined;
  private segments = 0;

  constructor(
    private readonly ctx: ActionContext,
    private readonly turns: ModelTurns,
    private readonly events: CallEvents,
    private readonly playback: AgentPlayback,
  ) {}

  /** The agent is known: its keypad setting applies from now. */
  setKeypad(setting: KeypadSetting | null | undefined): void {
    this.keypad = new Keypad(setting);
  }

  /** Whether keypad tones wait to play or are playing: the agent is busy. */
  get pressingKeys(): boolean {
    return this.toneQueue !== undefined || this.tones !== undefined;
  }

  get gatheringKeys(): boolean {
    return this.keypad.pending !== '';
  }

  // ------------------------------------------------------------------------------------------------ tools

  functionCall(input: Extract<RealtimeInput, { kind: 'function-call' }>, now: number): ActionResult {
    const agent = this.ctx.agent();
    const own = agent?.tools?.find((tool) => tool.name === input.name);
    const call = this.tools.take(input, own ? 'http' : 'built-in', now);
    if (call === undefined || agent === undefined) return { out: [] };
    const args = call.args;
    const fields = isObject(args) ? args : undefined;
    if (own !== undefined) {
      if (fields === undefined) {
        return { out: this.answer(call.callId, errorOutput('the arguments were not a JSON object'), now) };
      }
      const { callId } = call;
      const body = {
        callSid: this.ctx.callSid(),
        agentId: agent.id,
        tool: own.name,
        callId,
        arguments: fields,
      };
      const timeoutMs = own.timeoutMs ?? TOOL_DEFAULT_TIMEOUT_MS;
      return { out: [{ to: 'tool-request', callId, url: own.url, timeoutMs, body }] };
    }
    switch (input.name) {
      case END_CALL_TOOL_NAME:
        return { out: [], lifecycle: { kind: 'end-call', callId: call.callId } };
      case TRANSFER_CALL_TOOL_NAME: {
        const target = agent.transferTargets?.find((t) => t.name === fields?.target);
        if (target === undefined) {
          const names = (agent.transferTargets ?? []).map((t) => t.name).join(', ') || 'none';
          return {
            out: this.answer(
              call.callId,
              errorOutput(`no transfer target of that name (targets: ${names})`),
              now,
            ),
          };
        }
        const reason = typeof fields?.reason === 'string' ? fields.reason.slice(0, 200) : '';
        return {
          out: [],
          lifecycle: { kind: 'transfer', callId: call.callId, target: target.name, to: target.to, reason },
        };
      }
      case SEND_DTMF_TOOL_NAME: {
        const keys = fields?.digits;
        if (typeof keys !== 'string' || !DTMF_DIGITS_PATTERN.test(keys)) {
          return {
            out: this.answer(call.callId, errorOutput('digits must be 1 to 32 of 0-9, * and #'), now),
          };
        }
        if (this.pressingKeys) {
          return { out: this.answer(call.callId, errorOutput('keys are still being pressed'), now) };
        }
        this.toneQueue = { callId: call.callId, keys };
        return { out: [] };
      }
      default:
        return { out: this.answer(call.callId, errorOutput(`there is no tool named ${input.name}`), now) };
    }
  }

  /** One of the agent's own tools answered; the model goes on only while the call is live (`goOn`). */
  toolResult(callId: string, result: ToolResult, now: number, goOn: boolean): BridgeOutput[] {
    if (this.tools.get(callId)?.kind !== 'http') return [];
    return this.answer(callId, toolOutput(result), now, goOn);
  }

  /**
   * A call answered: its output for the model, its `tool` segment, and the model asked to go on when it was
   * the last call of a finished response (and the call is live: `goOn`).
   */
  answer(callId: string, output: ToolOutput, now: number, goOn = true): BridgeOutput[] {
    const answered = this.tools.answer(callId, output.status, now);
    if (answered === undefined) return [];
    const { call, record } = answered;
    const out = this.turns.add(this.outputItem(call.connection, call.name, callId, output.output));
    out.push(...this.events.streamSegment('tool', `tool-${callId}`, output.text, call.calledAt, record));
    if (answered.respond && goOn) out.push(...this.turns.respond());
    return out;
  }

  /** A built-in call that needs no output (the call ends, or Twilio took the transfer): its segment only. */
  settle(callId: string, text: string, now: number): BridgeOutput[] {
    const call = this.tools.get(callId);
    if (call === undefined) return [];
    this.tools.settle(callId);
    const record = {
      name: call.name,
      callId,
      arguments: call.args,
      status: 'ok' as const,
      ms: Math.max(0, Math.round(now - call.calledAt)),
    };
    return this.events.streamSegment('tool', `tool-${callId}`, text, call.calledAt, record);
  }

  /** The model's response is over: it goes on if it made calls and all are answered. */
  responseDone(responseId: string, goOn: boolean): BridgeOutput[] {
    return this.tools.responseDone(responseId) && goOn ? this.turns.respond() : [];
  }

  sessionLost(connection: ConnectionId, goOn: boolean): BridgeOutput[] {
    return this.tools.sessionLost(connection) && goOn ? this.turns.respond() : [];
  }

  /** A tool runs while the agent is quiet: the holding line, once per wait. */
  filler(): BridgeOutput[] {
    if (!this.tools.httpPending || this.tools.fillerSaid) return [];
    this.tools.fillerSaid = true;
    return this.turns.respond(fillerResponse());
  }

  /** A call made on a session that is gone is answered on the new one as a note: its call id is unknown there. */
  private outputItem(
    connection: ConnectionId,
    name: string,
    callId: string,
    output: string,
  ): ConversationItemCreateEvent {
    if (connection === this.ctx.connection()) {
      return {
        type: 'conversation.item.create',
        item: { type: 'function_call_output', call_id: callId, output },
      };
    }
    const text = `The result of the ${name} tool you called before the call moved to this connection: ${output}`;
    return {
      type: 'conversation.item.create',
      item: { type: 'message', role: 'system', content: [{ type: 'input_text', text }] },
    };
  }

  // -------------------------------------------------------------------------------------- keys the agent presses

  /** The agent's audio has played out: keys waiting to be pressed go now, as tones behind nothing. */
  playTones(): BridgeOutput[] {
    const queued = this.toneQueue;
    if (queued === undefined) return [];
    this.toneQueue = undefined;
    const lastMarkOfKey: number[] = [];
    const out: BridgeOutput[] = [];
    for (const chunk of dtmfChunks(queued.keys)) {
      const { output, seq } = this.playback.local(chunk.payload);
      lastMarkOfKey[chunk.key] = seq;
      out.push(output);
    }
    this.tones = { ...queued, lastMarkOfKey };
    return out;
  }

  /** A mark came back: once the last key's has, the tones have played and the call is answered. */
  afterEcho(now: number): BridgeOutput[] {
    const tones = this.tones;
    if (tones === undefined || this.playback.echoedThrough < (tones.lastMarkOfKey.at(-1) ?? 0)) return NONE;
    this.tones = undefined;
    return this.answer(tones.callId, okOutput({ pressed: tones.keys }, `pressed ${tones.keys}`), now);
  }

  /** Twilio's queue was cleared (a barge-in over the agent's speech queued with the tones): say how far they got. */
  afterClear(now: number): BridgeOutput[] {
    const tones = this.tones;
    if (tones === undefined) return [];
    this.tones = undefined;
    const played = tones.lastMarkOfKey.filter((seq) => seq <= this.playback.echoedThrough).length;
    const message = `the caller spoke over the tones: only "${tones.keys.slice(0, played)}" of "${tones.keys}" was pressed`;
    return this.answer(tones.callId, errorOutput(message), now);
  }

  // ------------------------------------------------------------------------------------ keys the caller presses

  /** A key the caller pressed: to the model at once, or gathered (then `wait`: the pause timer runs). */
  key(key: string, now: number): BridgeOutput[] {
    const outcome = this.keypad.press(key, now);
    if (outcome === 'wait')
      return [{ to: 'set-timer', timer: 'keypad-pause', at: now + this.keypad.pauseMs }];
    const out: BridgeOutput[] = [{ to: 'clear-timer', timer: 'keypad-pause' }];
    return out.concat(this.tellKeys(outcome));
  }

  /** The caller paused: what was gathered goes to the model. */
  keypadPaused(): BridgeOutput[] {
    const entry = this.keypad.paused();
    return entry === undefined ? [] : this.tellKeys(entry);
  }

  /** The stream ends with keys gathered and not told: they stay in the transcript. */
  unsaidKeys(): BridgeOutput[] {
    const entry = this.keypad.paused();
    if (entry === undefined) return [];
    return this.events.streamSegment('event', `keypad-${++this.segments}`, keysText(entry), entry.at);
  }

  /** Keys to the model (then it answers), and an `event` segment from when the first was pressed. */
  private tellKeys(entry: Entry): BridgeOutput[] {
    const out = this.turns.add(keypadItem(entry.tell, entry.gathered));
    out.push(...this.turns.respond());
    out.push(...this.events.streamSegment('event', `keypad-${++this.segments}`, keysText(entry), entry.at));
    return out;
  }

  clear(): void {
    this.tools.clear();
    this.toneQueue = undefined;
    this.tones = undefined;
  }
}

function keysText({ tell, gathered }: Entry): string {
  return gathered ? `the caller entered ${tell} on the keypad` : `the caller pressed ${tell}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
