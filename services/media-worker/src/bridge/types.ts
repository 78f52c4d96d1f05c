import type {
  Agent,
  RealtimeClientEvent,
  TranscriptEvent,
  TwilioOutboundMessage,
} from '@switchboard/contracts';

/** What happened, as the call bridge sees it. The codecs and the session turn wire messages into these. */
export type BridgeInput =
  /** The registry answered: the call's agent is known. */
  | { kind: 'call-found'; agent: Agent }
  /** A Realtime socket for the agent's model is open (the first one, or a reconnect). */
  | { kind: 'realtime-open' }
  /** The server confirmed our `session.update`: caller audio may flow. */
  | { kind: 'realtime-ready' }
  /** The Realtime socket dropped; a new one may follow with `realtime-open`. */
  | { kind: 'realtime-lost' }
  /** A 20 ms frame of the caller's audio (base64 mu-law) and its Twilio timestamp. */
  | { kind: 'caller-audio'; payload: string; timestampMs: number }
  /** Twilio echoed one of our marks. */
  | { kind: 'mark-echoed'; name: string }
  | { kind: 'response-created'; responseId: string }
  | { kind: 'response-done'; responseId: string; status: string }
  /** A chunk of the agent's speech (base64 mu-law). */
  | { kind: 'agent-audio'; responseId: string; itemId: string; contentIndex: number; delta: string }
  | { kind: 'speech-started'; itemId: string; audioStartMs: number }
  | { kind: 'caller-transcript'; itemId: string; text: string }
  | { kind: 'agent-transcript'; responseId: string; itemId: string; text: string }
  /** The agent called the `end_call` tool. */
  | { kind: 'end-call-requested'; callId: string };

export type BridgeInputKind = BridgeInput['kind'];

/** What the bridge wants done; the session executes these in order. */
export type BridgeOutput =
  | { to: 'twilio'; message: TwilioOutboundMessage }
  | { to: 'realtime'; message: RealtimeClientEvent }
  /** A call event for JetStream; `msgId` makes retries and replays idempotent. */
  | { to: 'events'; event: TranscriptEvent; msgId: string }
  /** End the stream: close both sockets; the TwiML after `<Connect>` takes over. */
  | { to: 'end'; cause: BridgeEndCause; reason: string };

/** Why the bridge ends a call: the agent hung up, or the Realtime session never became ready. */
export type BridgeEndCause = 'agent-hung-up' | 'realtime-not-ready';
