import type { Agent, CallControlRequest, CallEvent, RealtimeClientEvent } from '@switchboard/contracts';
import { type BridgeOptions, CallBridge } from '../src/bridge/call-bridge.js';
import type { TimerName } from '../src/bridge/timers.js';
import type {
  BridgeInput,
  BridgeOutput,
  ConnectionId,
  PreparedSession,
  ToolResult,
} from '../src/bridge/types.js';

export const CALL_SID = `CA${'0123456789abcdef'.repeat(2)}`;
export const STREAM_SID = `MZ${'a'.repeat(32)}`;
export const STARTED_AT = Date.parse('2026-11-27T10:00:00.000Z');

export const AGENT: Agent = {
  id: 'default',
  instructions: 'You are a friendly receptionist.',
  voice: 'alloy',
  model: 'gpt-realtime',
  greeting: 'Hello, how can I help?',
};

export const OPTIONS: BridgeOptions = {
  defaultModel: 'gpt-realtime',
  transcriptionModel: 'gpt-4o-mini-transcribe',
  streamStartTimeoutMs: 10_000,
  sessionReadyTimeoutMs: 5_000,
  sessionMaxMs: 3_300_000,
  maxHeldAudioMs: 10_000,
  toolFillerAfterMs: 1_500,
};

/** `ms` of mu-law audio (8 bytes a millisecond) as the bytes of its base64, filled with `fill`. */
export function audio(ms: number, fill = 0xff): Uint8Array {
  return bytes(ms * 8, fill);
}

/** `n` bytes of audio as the bytes of their base64. */
export function bytes(n: number, fill = 0x7f): Uint8Array {
  return Buffer.from(Buffer.alloc(n, fill).toString('base64'), 'latin1');
}

const decodedMs = (payload: Uint8Array) =>
  Buffer.from(Buffer.from(payload).toString('latin1'), 'base64').length / 8;
const firstByte = (payload: Uint8Array) => Buffer.from(Buffer.from(payload).toString('latin1'), 'base64')[0];

/** Which of the worker's prompts a `response.create` carries (the greeting is the plain case). */
function promptOf(instructions: string | undefined): string | undefined {
  if (instructions === undefined || instructions.startsWith('Greet the caller')) return undefined;
  const known: Array<[RegExp, string]> = [
    [/^Say exactly this to the caller, word for word, and nothing else: (.*)$/, 'say: $1'],
    [/^The caller has not said anything/, 'reprompt'],
    [/^The caller has not answered/, 'goodbye: idle'],
    [/^The call has reached its time limit/, 'goodbye: max-call'],
    [/^A lookup is taking a moment/, 'filler'],
    [/^An answering machine took the call .*nothing else: (.*)$/, 'voicemail: $1'],
    [/^You tried to transfer the caller to (\S+), but .*: (.*)\. Tell/, 'transfer failed: $1, $2'],
  ];
  for (const [pattern, label] of known) {
    const match = pattern.exec(instructions);
    if (match) return label.replace(/\$(\d)/g, (_, n: string) => match[Number(n)] ?? '');
  }
  return instructions;
}

function describeRealtime(connection: ConnectionId, m: RealtimeClientEvent): string {
  const rt = `rt${connection}`;
  switch (m.type) {
    case 'response.cancel':
      return `${rt} response.cancel ${m.response_id}`;
    case 'conversation.item.truncate':
      return `${rt} truncate ${m.item_id} at ${m.audio_end_ms}ms`;
    case 'conversation.item.delete':
      return `${rt} delete ${m.item_id}`;
    case 'conversation.item.create': {
      const item = m.item;
      if (item.type === 'message') return `${rt} item ${item.role}: ${item.content[0]?.text}`;
      return `${rt} output ${item.call_id}: ${item.output}`;
    }
    case 'response.create': {
      const said = promptOf(m.response?.instructions);
      return said === undefined ? `${rt} response.create` : `${rt} response.create (${said})`;
    }
    default:
      return `${rt} ${m.type}`;
  }
}

function describeEvent(event: CallEvent): string {
  switch (event.kind) {
    case 'transcript':
      if (event.tool) return `event tool ${event.tool.name} ${event.tool.status}: ${event.text}`;
      return `event ${event.role} "${event.text}" at ${event.at}`;
    case 'stream':
      return `event stream ${event.action}`;
    case 'ended':
      return `event ended ${event.reason}`;
    case 'dtmf':
      return `event dtmf ${event.digit}`;
    case 'status':
      return `event status ${event.status}`;
    case 'recording':
      return `event recording ${event.status}`;
    case 'answered-by':
      return `event answered-by ${event.answeredBy}`;
  }
}

/** One line per output, so a test reads like a transcript of the wire. Timers and logs are kept apart. */
export function describeOutput(output: BridgeOutput): string | undefined {
  switch (output.to) {
    case 'twilio-audio':
      return `twilio media ${decodedMs(output.payload)}ms mark ${output.mark}`;
    case 'twilio':
      return `twilio ${output.message.event}`;
    case 'realtime-audio':
      return `rt${output.connection} append ${firstByte(output.payload)}`;
    case 'realtime':
      return describeRealtime(output.connection, output.message);
    case 'publish':
      return describeEvent(output.event) + (output.confirm ? ' (confirm)' : '');
    case 'claim':
      return 'claim';
    case 'dial':
      return `dial rt${output.connection} ${output.model} for ${output.purpose}`;
    case 'close-realtime':
      return `close rt${output.connection}`;
    case 'adopt':
      return `adopt rt${output.connection} prepared for ${output.callSid === CALL_SID ? 'the call' : output.callSid}`;
    case 'keep-greeting':
      return `keep greeting ${output.key} (${output.greeting.durationMs}ms): ${output.greeting.text}`;
    case 'ignored':
      return `ignored: ${output.reason}`;
    case 'tool-request':
      return `tool ${output.body.tool} ${JSON.stringify(output.body.arguments)}`;
    case 'transfer':
      return `transfer ${output.request.target} ${output.request.to}`;
    case 'control-reply':
      return output.answer.accepted ? 'control accepted' : `control refused ${output.answer.code}`;
    case 'end':
      return `end ${output.reason}`;
    case 'set-timer':
    case 'clear-timer':
    case 'log':
      return undefined;
  }
}

/**
 * A bridge on a fake clock: it runs the timers the bridge asks for, so every deadline is tested by moving
 * the clock, not by waiting.
 */
export class BridgeHarness {
  readonly bridge: CallBridge;
  now: number;
  /** Timers set and not cleared or fired: name → when due. */
  readonly timers = new Map<TimerName, number>();
  readonly outputs: BridgeOutput[] = [];

  constructor(options: Partial<BridgeOptions> = {}, now = STARTED_AT) {
    this.bridge = new CallBridge({ ...OPTIONS, ...options });
    this.now = now;
  }

  /** Feeds inputs at the current time; returns their outputs, described. */
  feed(...inputs: BridgeInput[]): string[] {
    const lines: string[] = [];
    for (const input of inputs) lines.push(...this.handle(input));
    return lines;
  }

  /** Moves the clock on by `ms`, firing every timer that falls due, in order; returns their outputs. */
  advance(ms: number): string[] {
    const until = this.now + ms;
    const lines: string[] = [];
    for (;;) {
      const due = [...this.timers].filter(([, at]) => at <= until).sort((a, b) => a[1] - b[1])[0];
      if (due === undefined) break;
      const [timer, at] = due;
      this.timers.delete(timer);
      this.now = Math.max(this.now, at);
      lines.push(...this.handle({ kind: 'timer-fired', timer }));
    }
    this.now = until;
    return lines;
  }

  /** The socket opened and Twilio's start for CALL_SID arrived. */
  start(): string[] {
    return this.startWith({});
  }

  /** The socket opened and Twilio's start arrived: for CALL_SID, with `fields` changed or added. */
  startWith(fields: Partial<Extract<BridgeInput, { kind: 'twilio-start' }>>): string[] {
    return this.feed(
      { kind: 'stream-opened' },
      {
        kind: 'twilio-start',
        callSid: CALL_SID,
        streamSid: STREAM_SID,
        callSidParameter: CALL_SID,
        ...fields,
      },
    );
  }

  /** The socket opened and Twilio's start for CALL_SID arrived, with a session prepared for it. */
  startPrepared(state: PreparedSession['state'] = 'ready', agent: Agent = AGENT): string[] {
    return this.startWith({ prepared: prepared(state, agent) });
  }

  /** Started, found, the first socket open and ready (the greeting asked for); outputs dropped. */
  live(agent: Agent = AGENT): this {
    this.start();
    this.feed({ kind: 'call-found', agent }, { kind: 'realtime-open', connection: 1 }, ready(1));
    return this;
  }

  /** `live()`, and the greeting's response over (nothing of it heard): nobody speaks; outputs dropped. */
  quiet(agent: Agent = AGENT): this {
    this.live(agent);
    this.feed(created('greet'), done('greet'));
    return this;
  }

  private handle(input: BridgeInput): string[] {
    const out = this.bridge.handle(input, this.now);
    this.outputs.push(...out);
    const lines: string[] = [];
    for (const output of out) {
      if (output.to === 'set-timer') this.timers.set(output.timer, output.at);
      else if (output.to === 'clear-timer') this.timers.delete(output.timer);
      else if (output.to === 'end') this.timers.clear();
      const line = describeOutput(output);
      if (line !== undefined) lines.push(line);
    }
    return lines;
  }
}

/** A session prepared for CALL_SID while it rang, on the agent's model. */
export const prepared = (
  state: PreparedSession['state'] = 'ready',
  agent: Agent = AGENT,
): PreparedSession => ({
  callSid: CALL_SID,
  agent,
  answeredAt: undefined,
  model: agent.model,
  state,
});

// Inputs, briefly.
export const found = (agent: Agent = AGENT): BridgeInput => ({ kind: 'call-found', agent });
export const open = (connection: ConnectionId): BridgeInput => ({ kind: 'realtime-open', connection });
export const ready = (connection: ConnectionId): BridgeInput => ({ kind: 'session-ready', connection });
export const closed = (connection: ConnectionId, detail = 'closed 1006'): BridgeInput => ({
  kind: 'realtime-closed',
  connection,
  detail,
});
export const callerAudio = (fill: number, timestampMs = 0): BridgeInput => ({
  kind: 'caller-audio',
  payload: audio(20, fill),
  timestampMs,
});
export const delta = (
  responseId: string,
  itemId: string,
  payload = audio(20),
  connection: ConnectionId = 1,
): BridgeInput => ({ kind: 'agent-audio', connection, responseId, itemId, contentIndex: 0, payload });
export const created = (responseId: string, connection: ConnectionId = 1): BridgeInput => ({
  kind: 'response-created',
  connection,
  responseId,
});
export const done = (responseId: string, connection: ConnectionId = 1): BridgeInput => ({
  kind: 'response-done',
  connection,
  responseId,
});
export const echo = (name: string): BridgeInput => ({ kind: 'mark-echoed', name });
export const speech = (itemId: string, audioStartMs = 0, connection: ConnectionId = 1): BridgeInput => ({
  kind: 'speech-started',
  connection,
  itemId,
  audioStartMs,
});
export const speechStopped = (
  itemId: string,
  audioEndMs: number,
  connection: ConnectionId = 1,
): BridgeInput => ({
  kind: 'speech-stopped',
  connection,
  itemId,
  audioEndMs,
});
export const callerSaid = (itemId: string, text: string, connection: ConnectionId = 1): BridgeInput => ({
  kind: 'caller-transcript',
  connection,
  itemId,
  text,
});
export const agentSaid = (itemId: string, text: string, connection: ConnectionId = 1): BridgeInput => ({
  kind: 'agent-transcript',
  connection,
  itemId,
  text,
});
/** The model called a tool (`response.function_call_arguments.done`). */
export const fnCall = (
  name: string,
  args: unknown = {},
  callId = `call_${name}`,
  responseId = 'r1',
  connection: ConnectionId = 1,
): BridgeInput => ({
  kind: 'function-call',
  connection,
  responseId,
  callId,
  name,
  arguments: typeof args === 'string' ? args : JSON.stringify(args),
});
export const endCall = (connection: ConnectionId = 1, responseId = 'r1'): BridgeInput =>
  fnCall('end_call', { reason: 'done' }, 'call_end', responseId, connection);
/** JetStream acknowledged the ended event of CALL_SID's stream. */
export const stored = (): BridgeInput => ({ kind: 'event-stored', msgId: `ended:${CALL_SID}:${STREAM_SID}` });
export const toolResult = (callId: string, result: ToolResult): BridgeInput => ({
  kind: 'tool-result',
  callId,
  result,
});
export const control = (requestId: number, request: CallControlRequest): BridgeInput => ({
  kind: 'control',
  requestId,
  request,
});
/** A greeting's response playing out fully (created, one chunk, done, echoed). */
export const greetingPlayed = (responseId = 'greet', connection: ConnectionId = 1): BridgeInput[] => [
  created(responseId, connection),
  done(responseId, connection),
];
