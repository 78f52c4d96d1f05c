import { type Agent, type ConversationItemCreateEvent, MULAW_BYTES_PER_MS } from '@switchboard/contracts';
import type { AgentPlayback } from './agent-playback.js';
import { base64DecodedLength } from './audio-bytes.js';
import type { AudioBytes, BridgeOutput, ConnectionId, KeptGreeting } from './types.js';

/** Greetings longer than this are not kept (30 s of mu-law is 240 KB). */
export const KEPT_GREETING_MAX_MS = 30_000;
const KEPT_GREETING_MAX_BYTES = KEPT_GREETING_MAX_MS * MULAW_BYTES_PER_MS;

/** Where the worker keeps agents' greetings (src/warm/kept-greetings.ts); read by the bridge, written by outputs. */
export interface GreetingStore {
  /** The greeting kept under `key`, to be played now. */
  find(key: string): KeptGreeting | undefined;
  has(key: string): boolean;
}

/**
 * What a kept greeting is kept under: the agent, its voice, the greeting's words and the model that says
 * them. Any of them changed, another greeting is needed; undefined for an agent without a greeting.
 */
export function greetingKey(agent: Agent): string | undefined {
  if (!agent.greeting) return undefined;
  return JSON.stringify([agent.id, agent.voice, agent.greeting, agent.model]);
}

/** The first words of `text` in proportion to `fraction` of it heard, marked as cut; '' when none. */
export function heardPart(text: string, fraction: number): string {
  const words = text.split(/\s+/).filter((w) => w !== '');
  const count = Math.floor(words.length * Math.min(1, Math.max(0, fraction)));
  if (count >= words.length) return text;
  return count === 0 ? '' : `${words.slice(0, count).join(' ')}…`;
}

interface Recording {
  key: string;
  agentId: string;
  /** What the agent was asked to say: the text kept when no transcript comes. */
  asked: string;
  connection: ConnectionId | undefined;
  responseId: string | undefined;
  chunks: Buffer[];
  bytes: number;
  itemIds: Set<string>;
  transcript: string | undefined;
}

interface Played {
  /** What the model is told it said: all of it, or the part heard before a barge-in. */
  text: string;
  durationMs: number;
  /** When it began to play. */
  at: number;
  /** Our id of the assistant item, and the session it went to (once it did). */
  itemId: string;
  sentTo: ConnectionId | undefined;
  cut: boolean;
}

/**
 * The agent's greeting, for the bridge: the same words on every call, so its audio is produced once per
 * (agent, voice, greeting, model) and kept (KEEP_GREETING_AUDIO). The first call records it: the audio
 * deltas of its greeting response, kept once that response completed. Later calls play the kept audio the
 * moment the agent is known (at `start` with a prepared session), with a mark after each chunk like the
 * agent's speech, and ask the model for no greeting: the new session's conversation gets an assistant
 * message with what was said instead, so the model knows it greeted. It can only be text: the API's
 * `conversation.item.create` "cannot populate assistant audio messages", and `conversation.item.truncate`
 * cuts only the audio of an item the session produced. So a barge-in during the kept greeting replaces the
 * item with the part heard (in proportion of the audio played: an estimate, word by word), first in the
 * conversation again (`previous_item_id: "root"`).
 */
export class OpeningGreeting {
  private recording: Recording | undefined;
  private played: Played | undefined;
  private itemSeq = 0;

  constructor(
    private readonly store: GreetingStore | undefined,
    private readonly playback: AgentPlayback,
  ) {}

  /** Whether a kept greeting was played on this call (the opening asks for no greeting then). */
  get kept(): boolean {
    return this.played !== undefined;
  }

  /** Whether the greeting's response is being recorded (checked on every audio delta). */
  get isRecording(): boolean {
    return this.recording !== undefined;
  }

  /** The agent is known: its kept greeting, if there is one, plays now. Returns what it said. */
  play(agent: Agent, now: number): { out: BridgeOutput[]; text: string } | undefined {
    const key = greetingKey(agent);
    const greeting = key === undefined ? undefined : this.store?.find(key);
    if (greeting === undefined) return undefined;
    this.played = {
      text: greeting.text,
      durationMs: greeting.durationMs,
      at: now,
      itemId: this.nextItemId(),
      sentTo: undefined,
      cut: false,
    };
    return { out: this.playback.kept(greeting.chunks, now), text: greeting.text };
  }

  /**
   * The call's first session is ready: the assistant item that says it greeted (nothing when the caller cut
   * the greeting before a word of it was heard).
   */
  item(
    connection: ConnectionId,
  ): { event: ConversationItemCreateEvent; text: string; at: number } | undefined {
    const played = this.played;
    if (played === undefined || played.text === '') return undefined;
    played.sentTo = connection;
    return { event: assistantItem(played.itemId, played.text), text: played.text, at: played.at };
  }

  /** A barge-in cleared Twilio's queue: if it cut the kept greeting, the model is told what was heard. */
  afterBargeIn(current: ConnectionId | undefined): BridgeOutput[] {
    const played = this.played;
    const heardMs = this.playback.keptCutAtMs;
    if (played === undefined || played.cut || heardMs === undefined) return [];
    played.cut = true;
    played.text = heardPart(played.text, heardMs / played.durationMs);
    if (played.sentTo === undefined || played.sentTo !== current) return [];
    const connection = played.sentTo;
    const out: BridgeOutput[] = [
      { to: 'realtime', connection, message: { type: 'conversation.item.delete', item_id: played.itemId } },
    ];
    if (played.text === '') return out;
    played.itemId = this.nextItemId();
    const replaced = { ...assistantItem(played.itemId, played.text), previous_item_id: 'root' };
    out.push({ to: 'realtime', connection, message: replaced });
    return out;
  }

  // ------------------------------------------------------------------------------------------ recording

  /** The agent is asked for its greeting on this call: record it if none is kept for it yet. */
  record(agent: Agent): void {
    const key = greetingKey(agent);
    if (this.store === undefined || key === undefined || !agent.greeting) return;
    if (this.store.has(key)) return;
    this.recording = {
      key,
      agentId: agent.id,
      asked: agent.greeting,
      connection: undefined,
      responseId: undefined,
      chunks: [],
      bytes: 0,
      itemIds: new Set(),
      transcript: undefined,
    };
  }

  /** The first response created after the greeting was asked for is the greeting's. */
  created(connection: ConnectionId, responseId: string): void {
    const rec = this.recording;
    if (rec === undefined || rec.responseId !== undefined) return;
    rec.connection = connection;
    rec.responseId = responseId;
  }

  audio(connection: ConnectionId, responseId: string, itemId: string, payload: AudioBytes): void {
    const rec = this.recording;
    if (rec?.responseId !== responseId || rec.connection !== connection) return;
    rec.bytes += base64DecodedLength(payload);
    if (rec.bytes > KEPT_GREETING_MAX_BYTES) {
      this.recording = undefined;
      return;
    }
    // A copy: the payload is a view into the frame it came in.
    rec.chunks.push(Buffer.from(payload));
    rec.itemIds.add(itemId);
  }

  transcript(itemId: string, text: string): void {
    const rec = this.recording;
    if (rec?.itemIds.has(itemId)) rec.transcript = text.trim();
  }

  /** The greeting's response is over: kept when it completed with audio, dropped otherwise. */
  done(connection: ConnectionId, responseId: string, status: string | undefined): BridgeOutput[] {
    const rec = this.recording;
    if (rec?.responseId !== responseId || rec.connection !== connection) return [];
    this.recording = undefined;
    if (status !== 'completed' || rec.chunks.length === 0) return [];
    const greeting: KeptGreeting = {
      chunks: rec.chunks,
      text: rec.transcript || rec.asked,
      durationMs: Math.floor(rec.bytes / MULAW_BYTES_PER_MS),
    };
    return [{ to: 'keep-greeting', key: rec.key, agentId: rec.agentId, greeting }];
  }

  /** The session the greeting was being recorded from is gone. */
  sessionLost(connection: ConnectionId): void {
    if (this.recording?.connection === connection) this.recording = undefined;
  }

  private nextItemId(): string {
    return `sb_greeting_${++this.itemSeq}`;
  }
}

function assistantItem(id: string, text: string): ConversationItemCreateEvent {
  return {
    type: 'conversation.item.create',
    item: { type: 'message', role: 'assistant', id, content: [{ type: 'output_text', text }] },
  };
}
