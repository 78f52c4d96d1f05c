import type {
  Agent,
  CallEvent,
  RealtimeClientEvent,
  StreamEndReason,
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

/** What happened, as the call bridge sees it. The session turns wire frames, answers and timers into these. */
export type BridgeInput =
  /** Twilio's WebSocket is open; nothing is known yet. */
  | { kind: 'stream-opened' }
  /** Twilio's `start`: the call it names, its stream, and the `callSid` `<Parameter>` it was given. */
  | { kind: 'twilio-start'; callSid: string; streamSid: string; callSidParameter: string | undefined }
  /** A frame of the caller's audio and its Twilio timestamp (ms since the stream began). */
  | { kind: 'caller-audio'; payload: AudioBytes; timestampMs: number }
  /** Twilio echoed one of our marks: the audio before it has played. */
  | { kind: 'mark-echoed'; name: string }
  | { kind: 'caller-dtmf'; digit: string; sequenceNumber: string | undefined }
  | { kind: 'twilio-stopped' }
  | { kind: 'twilio-closed' }
  /** The registry answered `call.bySid`. */
  | { kind: 'call-found'; agent: Agent }
  | { kind: 'lookup-failed'; notFound: boolean }
  | { kind: 'realtime-open'; connection: ConnectionId }
  /** A Realtime socket closed or failed to open; `detail` says how (close code and reason, or the error). */
  | { kind: 'realtime-closed'; connection: ConnectionId; detail: string }
  | RealtimeInput
  | { kind: 'timer-fired'; timer: TimerName }
  /** A newer stream for the same call took over on this worker. */
  | { kind: 'replaced' }
  /** The worker is shutting down and the drain time is over. */
  | { kind: 'drained' };

/** What a Realtime server event means for the bridge (codecs/realtime-input.ts); each names its socket. */
export type RealtimeInput =
  /** The server confirmed our `session.update`. */
  | { kind: 'session-ready'; connection: ConnectionId }
  | { kind: 'response-created'; connection: ConnectionId; responseId: string }
  | { kind: 'response-done'; connection: ConnectionId; responseId: string }
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
  /** The agent called the `end_call` tool. */
  | { kind: 'end-call-requested'; connection: ConnectionId };

export type BridgeInputKind = BridgeInput['kind'];

/** What the bridge wants done; the session carries these out in order. */
export type BridgeOutput =
  /** A chunk of agent audio for Twilio as a `media` message, then a `mark` named `mark`. */
  | { to: 'twilio-audio'; payload: AudioBytes; mark: string }
  | { to: 'twilio'; message: TwilioOutboundMessage }
  /** Caller audio for a Realtime socket, as `input_audio_buffer.append`. */
  | { to: 'realtime-audio'; connection: ConnectionId; payload: AudioBytes }
  | { to: 'realtime'; connection: ConnectionId; message: RealtimeClientEvent }
  /** A call event for JetStream; `msgId` makes retries and replays idempotent. */
  | { to: 'publish'; event: CallEvent; msgId: string }
  /** The stream carries this call: ask the registry for it, and make this the call's stream on the worker. */
  | { to: 'claim'; callSid: string; streamSid: string }
  | { to: 'dial'; connection: ConnectionId; model: string; purpose: DialPurpose }
  /** Close a Realtime socket for good; no input follows for it. */
  | { to: 'close-realtime'; connection: ConnectionId }
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
   * timer. The bridge has already published what the ending owes.
   */
  | { to: 'end'; reason: StreamEndReason; detail: string };
