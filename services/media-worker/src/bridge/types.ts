import type {
  Agent,
  CallControlRequest,
  CallEvent,
  RealtimeClientEvent,
  StreamEndReason,
  TranscriptRole,
  TwilioCallTransferRequest,
  TwilioOutboundMessage,
} from '@switchboard/contracts';
import type { TimerName } from './timers.js';

/**
 * Base64 audio as the bytes of its text, straight from a frame: the relay never turns audio into strings.
 * Views into a received frame are only valid while the input is handled; what outlives it is copied.
 */
export type AudioBytes = Uint8Array;

/** Which Realtime socket of the call an input came from or an output is for (1, 2, … in dialling order). */
export type ConnectionId = number;

/** Why a Realtime socket is dialled: the call's first, for the agent's own model, a planned move, a recovery. */
export type DialPurpose = 'first' | 'model' | 'rollover' | 'recover';

/** A stream Twilio opened again after a `<Dial>` that did not connect (the gateway's dial-result TwiML). */
export interface TransferFailure {
  /** Twilio's DialCallStatus: `busy`, `no-answer`, `failed`, `canceled`. */
  status: string;
  /** The transfer target's name (or number). */
  target: string;
}

/** What one of the agent's HTTP tools answered, as the session's tool client saw it. */
export type ToolResult =
  /** A 2xx reply whose body is JSON (the text as received). */
  | { status: 'ok'; body: string }
  /** Refused, unreachable, non-2xx or not JSON: `message` says which, for the model to speak about. */
  | { status: 'error'; message: string }
  | { status: 'timeout'; message: string };

/** A segment of the call so far, from `call.transcript` (a stream that joins a call midway is seeded with it). */
export interface PastSegment {
  role: TranscriptRole;
  text: string;
  at: number;
}

/** What the worker POSTs to a tool's URL (SPEC "Tool calls"). */
export interface ToolRequestBody {
  callSid: string;
  agentId: string;
  tool: string;
  callId: string;
  arguments: Record<string, unknown>;
}

/**
 * A Realtime session the worker opened for a call while its phone rang (a reservation's, src/warm/), as it
 * is when the call's stream starts: configured for `agent` (the registered call's, from the reservation)
 * with the same `session.update` the bridge sends, on the agent's own model.
 */
export interface PreparedSession {
  callSid: string;
  agent: Agent;
  /** When the call was answered, as the reservation's call says (usually not yet: it was ringing). */
  answeredAt: number | undefined;
  model: string;
  /** Not open yet; open with our `session.update` sent; or confirmed by `session.updated`. */
  state: 'dialing' | 'configuring' | 'ready';
}

/**
 * The agent's greeting as a model once said it in full (base64 mu-law chunks as its audio deltas came, and
 * what it said), kept by the worker to be played at once on later calls (src/warm/kept-greetings.ts).
 */
export interface KeptGreeting {
  chunks: readonly AudioBytes[];
  text: string;
  /** Milliseconds of audio in `chunks`. */
  durationMs: number;
}

/** What happened, as the call bridge sees it. The session turns wire frames, answers and timers into these. */
export type BridgeInput =
  /** Twilio's WebSocket is open; nothing is known yet. */
  | { kind: 'stream-opened' }
  /**
   * Twilio's `start`: the call it names, its stream, the `callSid` `<Parameter>` it was given, and whether it
   * brings the caller back after a transfer that did not connect.
   */
  | {
      kind: 'twilio-start';
      callSid: string;
      streamSid: string;
      callSidParameter: string | undefined;
      transferFailed?: TransferFailure | undefined;
      /** A session prepared for `callSid` while the phone rang; the bridge adopts it if the start is good. */
      prepared?: PreparedSession | undefined;
    }
  /** A frame of the caller's audio and its Twilio timestamp (ms since the stream began). */
  | { kind: 'caller-audio'; payload: AudioBytes; timestampMs: number }
  /** Twilio echoed one of our marks: the audio before it has played. */
  | { kind: 'mark-echoed'; name: string }
  | { kind: 'caller-dtmf'; digit: string; sequenceNumber: string | undefined }
  | { kind: 'twilio-stopped' }
  | { kind: 'twilio-closed' }
  /** The registry answered `call.bySid`; `answeredAt` (ms) when the call has been answered. */
  | { kind: 'call-found'; agent: Agent; answeredAt?: number | undefined }
  | { kind: 'lookup-failed'; notFound: boolean }
  /** `call.transcript` answered (an empty list when it could not be asked). */
  | { kind: 'history-loaded'; segments: PastSegment[] }
  | { kind: 'realtime-open'; connection: ConnectionId }
  /** A Realtime socket closed or failed to open; `detail` says how (close code and reason, or the error). */
  | { kind: 'realtime-closed'; connection: ConnectionId; detail: string }
  | RealtimeInput
  /** A tool the bridge asked for (`tool-request`) answered. */
  | { kind: 'tool-result'; callId: string; result: ToolResult }
  /** `twilio.call.transfer` answered: Twilio took the new TwiML, or `reason` says why not. */
  | { kind: 'transfer-result'; accepted: true }
  | { kind: 'transfer-result'; accepted: false; reason: string }
  /** An operator's request on `call.control.<callSid>`, to be answered with `control-reply`. */
  | { kind: 'control'; requestId: number; request: CallControlRequest }
  /** JetStream acknowledged an event published with `confirm`. */
  | { kind: 'event-stored'; msgId: string }
  | { kind: 'timer-fired'; timer: TimerName }
  /** A newer stream for the same call took over on this worker. */
  | { kind: 'replaced' }
  /** The worker is shutting down and the drain time is over. */
  | { kind: 'drained' }
  /** Twilio's `start` named a call this worker has no slot for (no reservation, and none free). */
  | { kind: 'no-room' };

/** What a Realtime server event means for the bridge (codecs/realtime-input.ts); each names its socket. */
export type RealtimeInput =
  /** The server confirmed our `session.update`. */
  | { kind: 'session-ready'; connection: ConnectionId }
  | { kind: 'response-created'; connection: ConnectionId; responseId: string }
  /** `status` as the API says it (`completed`, `cancelled`, `incomplete`, `failed`). */
  | { kind: 'response-done'; connection: ConnectionId; responseId: string; status?: string | undefined }
  /** A chunk of the agent's speech. */
  | {
      kind: 'agent-audio';
      connection: ConnectionId;
      responseId: string;
      itemId: string;
      contentIndex: number;
      payload: AudioBytes;
    }
  | { kind: 'speech-started'; connection: ConnectionId; itemId: string; audioStartMs: number }
  | { kind: 'speech-stopped'; connection: ConnectionId; itemId: string; audioEndMs: number }
  | { kind: 'caller-transcript'; connection: ConnectionId; itemId: string; text: string }
  | { kind: 'agent-transcript'; connection: ConnectionId; itemId: string; text: string }
  /**
   * The model called a tool (its arguments are final). Said twice by the API, in
   * `response.function_call_arguments.done` and in the `function_call` output item; the bridge takes the first.
   */
  | {
      kind: 'function-call';
      connection: ConnectionId;
      responseId: string;
      callId: string;
      name: string;
      arguments: string;
    };

export type BridgeInputKind = BridgeInput['kind'];

/** How an operator's control request was taken (the session answers the NATS request with it). */
export type ControlAnswer =
  | { accepted: true }
  | { accepted: false; code: 'CALL_ENDED' | 'INVALID_REQUEST'; message: string };

/** What the bridge wants done; the session carries these out in order. */
export type BridgeOutput =
  /** A chunk of audio for Twilio as a `media` message, then a `mark` named `mark`. */
  | { to: 'twilio-audio'; payload: AudioBytes; mark: string }
  | { to: 'twilio'; message: TwilioOutboundMessage }
  /** Caller audio for a Realtime socket, as `input_audio_buffer.append`. */
  | { to: 'realtime-audio'; connection: ConnectionId; payload: AudioBytes }
  | { to: 'realtime'; connection: ConnectionId; message: RealtimeClientEvent }
  /**
   * A call event for JetStream; `msgId` makes retries and replays idempotent. With `confirm`, the session
   * says when it is stored (`event-stored`).
   */
  | { to: 'publish'; event: CallEvent; msgId: string; confirm?: true }
  /**
   * The stream carries this call: ask the registry for it (and, with `history`, for its transcript), make
   * this the call's stream on the worker, and serve its control subject.
   */
  | { to: 'claim'; callSid: string; streamSid: string; history: boolean }
  | { to: 'dial'; connection: ConnectionId; model: string; purpose: DialPurpose }
  /**
   * Take the session prepared for `callSid` (its `PreparedSession` came with the start, in this same turn)
   * as socket `connection`: from now on its events are this call's, as if it had been dialled here.
   */
  | { to: 'adopt'; connection: ConnectionId; callSid: string }
  /** The agent's greeting was said in full: keep its audio for the next calls (`key` from greetingKey). */
  | { to: 'keep-greeting'; key: string; agentId: string; greeting: KeptGreeting }
  /** Close a Realtime socket for good; no input follows for it. */
  | { to: 'close-realtime'; connection: ConnectionId }
  /** POST `body`, signed, to one of the agent's tools; the answer comes back as `tool-result`. */
  | { to: 'tool-request'; callId: string; url: string; timeoutMs: number; body: ToolRequestBody }
  /** Ask the gateway (`twilio.call.transfer`) to hand the call over; the answer is `transfer-result`. */
  | { to: 'transfer'; request: TwilioCallTransferRequest }
  | { to: 'control-reply'; requestId: number; answer: ControlAnswer }
  /** Run `timer` once at `at` (ms since the epoch), replacing any it had; it comes back as `timer-fired`. */
  | { to: 'set-timer'; timer: TimerName; at: number }
  | { to: 'clear-timer'; timer: TimerName }
  /** A frame that cannot be used here (counted, and logged once per reason). */
  | { to: 'ignored'; source: 'twilio' | 'realtime'; reason: string }
  | {
      to: 'log';
      level: 'debug' | 'info' | 'warn' | 'error';
      message: string;
      fields?: Record<string, unknown>;
    }
  /**
   * The stream is over: close every Realtime socket and Twilio's (with the code of `reason`), clear every
   * timer, stop serving the control subject. The bridge has already published what the ending owes.
   */
  | { to: 'end'; reason: StreamEndReason; detail: string };
