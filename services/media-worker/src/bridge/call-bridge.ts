import {
  type Agent,
  base64ByteLength,
  MULAW_BYTES_PER_MS,
  type TranscriptEvent,
  type TranscriptRole,
} from '@switchboard/contracts';
import { assertNever } from '../assert-never.js';
import { MarkQueue } from './mark-queue.js';
import { RecentAudio } from './recent-audio.js';
import { greetingResponse, sessionUpdateFor } from './session-config.js';
import type { BridgeEndCause, BridgeInput, BridgeOutput } from './types.js';

export interface BridgeOptions {
  callSid: string;
  streamSid: string;
  /** Wall-clock milliseconds when Twilio's `start` arrived; Twilio's media timestamps count from there. */
  streamStartedAt: number;
  transcriptionModel: string;
  /** Caller audio held while the Realtime session is not ready; beyond it the call ends. */
  maxHeldAudioMs: number;
}

/** Where the current Realtime connection is: no socket, socket open (session not configured), ready. */
type RealtimePhase = 'closed' | 'open' | 'ready';

/** An assistant item whose audio we relayed. */
interface AgentItem {
  responseId: string;
  connection: number;
  contentIndex: number;
  sentBytes: number;
  /** Milliseconds of it the caller has heard, from Twilio's mark echoes. */
  playedMs: number;
  /** When its first chunk went to Twilio: the `at` of its transcript. */
  firstAudioAt: number;
  /** After a barge-in: cut at what was heard, or removed when nothing was. */
  fate: 'live' | 'truncated' | 'deleted';
}

const MAX_TRACKED_ITEMS = 64;
/** Caller frames (20 ms each) sent again to a new Realtime session after a drop: 2 s. */
export const REPLAY_FRAMES = 100;
const MAX_TRACKED_RESPONSES = 32;
const MAX_TRANSCRIPT_CHARS = 20_000;
export const END_CALL_REASON = 'the agent ended the call';
export const HELD_AUDIO_OVERFLOW_REASON = 'the Realtime session was not ready in time';

/**
 * The call bridge: Twilio on one side, an OpenAI Realtime session on the other. A deterministic state
 * machine without I/O or clock: `handle(input, now)` updates the state and returns what to send, in order.
 * It owns the held caller audio, the mark queue, the truncation arithmetic of barge-in, the greeting, the
 * transcripts' timing and the end of the call. (State is mutated in place: the mark queue of a long answer
 * holds hundreds of entries, and copying it 100 times a second would cost more than the relay itself.)
 */
export class CallBridge {
  private agent: Agent | undefined;
  private phase: RealtimePhase = 'closed';
  /** Counts Realtime connections; items and their marks carry the one they came from. */
  private connection = 0;
  private held: string[] = [];
  private heldTimestamps: number[] = [];
  private heldBytes = 0;
  private readonly recent = new RecentAudio(REPLAY_FRAMES);
  /** Twilio timestamp of the first frame appended on this connection: `audio_start_ms` counts from it. */
  private inputOriginMs: number | undefined;
  private greeted = false;
  private activeResponseId: string | undefined;
  private readonly cancelled = new Set<string>();
  private readonly items = new Map<string, AgentItem>();
  private readonly marks = new MarkQueue();
  private markSeq = 0;
  private readonly speechStartedAt = new Map<string, number>();
  private ending = false;
  private ended = false;

  constructor(private readonly options: BridgeOptions) {}

  /** Audio sent to Twilio and not confirmed played yet, in marks. */
  get queuedMarks(): number {
    return this.marks.size;
  }

  get isReady(): boolean {
    return this.phase === 'ready';
  }

  handle(input: BridgeInput, now: number): BridgeOutput[] {
    if (this.ended) return [];
    switch (input.kind) {
      case 'caller-audio':
        return this.onCallerAudio(input.payload, input.timestampMs);
      case 'agent-audio':
        return this.onAgentAudio(input.responseId, input.itemId, input.contentIndex, input.delta, now);
      case 'mark-echoed':
        return this.onMarkEchoed(input.name);
      case 'call-found':
        this.agent = input.agent;
        return this.phase === 'open' ? [this.sessionUpdate()] : [];
      case 'realtime-open':
        this.connection++;
        this.phase = 'open';
        return this.agent ? [this.sessionUpdate()] : [];
      case 'realtime-ready':
        return this.onReady();
      case 'realtime-lost':
        return this.onLost();
      case 'response-created':
        this.activeResponseId = input.responseId;
        return [];
      case 'response-done':
        if (this.activeResponseId === input.responseId) this.activeResponseId = undefined;
        return this.finishIfEnding([]);
      case 'speech-started':
        return this.onSpeechStarted(input.itemId, input.audioStartMs);
      case 'caller-transcript':
        return this.onCallerTranscript(input.itemId, input.text, now);
      case 'agent-transcript':
        return this.onAgentTranscript(input.itemId, input.text, now);
      case 'end-call-requested':
        this.ending = true;
        return this.finishIfEnding([]);
      default:
        return assertNever(input);
    }
  }

  private sessionUpdate(): BridgeOutput {
    const agent = this.agent as Agent;
    return {
      to: 'realtime',
      message: sessionUpdateFor(agent, { transcriptionModel: this.options.transcriptionModel }),
    };
  }

  private onCallerAudio(payload: string, timestampMs: number): BridgeOutput[] {
    if (this.phase === 'ready') {
      if (this.inputOriginMs === undefined) this.inputOriginMs = timestampMs;
      this.recent.push(payload, timestampMs);
      return [{ to: 'realtime', message: { type: 'input_audio_buffer.append', audio: payload } }];
    }
    this.held.push(payload);
    this.heldTimestamps.push(timestampMs);
    this.heldBytes += base64ByteLength(payload);
    if (this.heldBytes > this.options.maxHeldAudioMs * MULAW_BYTES_PER_MS) {
      return this.end('realtime-not-ready', HELD_AUDIO_OVERFLOW_REASON);
    }
    return [];
  }

  private onReady(): BridgeOutput[] {
    if (this.phase !== 'open') return [];
    this.phase = 'ready';
    const out: BridgeOutput[] = [];
    if (this.held.length > 0) {
      this.inputOriginMs = this.heldTimestamps[0];
      this.held.forEach((audio, i) => {
        out.push({ to: 'realtime', message: { type: 'input_audio_buffer.append', audio } });
        this.recent.push(audio, this.heldTimestamps[i] ?? 0);
      });
      this.held = [];
      this.heldTimestamps = [];
      this.heldBytes = 0;
    }
    const greeting = this.agent?.greeting;
    if (!this.greeted && greeting) {
      this.greeted = true;
      out.push({ to: 'realtime', message: greetingResponse(greeting) });
    }
    return out;
  }

  private onLost(): BridgeOutput[] {
    const { payloads, timestamps } = this.recent.drain();
    if (payloads.length > 0) {
      this.held = payloads.concat(this.held);
      this.heldTimestamps = timestamps.concat(this.heldTimestamps);
      for (const audio of payloads) this.heldBytes += base64ByteLength(audio);
    }
    this.phase = 'closed';
    this.activeResponseId = undefined;
    this.inputOriginMs = undefined;
    this.speechStartedAt.clear();
    return this.finishIfEnding([]);
  }

  private onAgentAudio(
    responseId: string,
    itemId: string,
    contentIndex: number,
    delta: string,
    now: number,
  ): BridgeOutput[] {
    if (this.cancelled.has(responseId)) return [];
    let item = this.items.get(itemId);
    if (item === undefined) {
      item = {
        responseId,
        connection: this.connection,
        contentIndex,
        sentBytes: 0,
        playedMs: 0,
        firstAudioAt: now,
        fate: 'live',
      };
      this.remember(this.items, itemId, item, MAX_TRACKED_ITEMS);
    } else if (item.fate !== 'live') {
      return [];
    }
    item.sentBytes += base64ByteLength(delta);
    const seq = ++this.markSeq;
    this.marks.push({
      seq,
      itemId,
      connection: item.connection,
      endMs: Math.floor(item.sentBytes / MULAW_BYTES_PER_MS),
    });
    const streamSid = this.options.streamSid;
    return [
      { to: 'twilio', message: { event: 'media', streamSid, media: { payload: delta } } },
      { to: 'twilio', message: { event: 'mark', streamSid, mark: { name: String(seq) } } },
    ];
  }

  private onMarkEchoed(name: string): BridgeOutput[] {
    const seq = Number(name);
    if (!Number.isSafeInteger(seq)) return [];
    const entry = this.marks.popThrough(seq);
    if (entry) {
      const item = this.items.get(entry.itemId);
      if (item && item.connection === entry.connection && entry.endMs > item.playedMs) {
        item.playedMs = entry.endMs;
      }
    }
    return this.finishIfEnding([]);
  }

  /**
   * The caller started speaking. When the agent's audio is queued at Twilio or still streaming, that is a
   * barge-in: Twilio drops what it has not played, the response is cancelled, and the server's copy of each
   * interrupted item is cut at what the caller heard (known from echoed marks) or deleted if nothing was.
   */
  private onSpeechStarted(itemId: string, audioStartMs: number): BridgeOutput[] {
    const origin = this.inputOriginMs ?? 0;
    this.remember(
      this.speechStartedAt,
      itemId,
      this.options.streamStartedAt + origin + audioStartMs,
      MAX_TRACKED_ITEMS,
    );

    const running = this.activeResponseId;
    const interrupted = new Set<string>();
    for (const pending of this.marks.pendingItems()) {
      if (pending.connection === this.connection) interrupted.add(pending.itemId);
    }
    if (running !== undefined) {
      for (const [id, item] of this.items) {
        if (item.responseId === running && item.fate === 'live' && item.connection === this.connection) {
          interrupted.add(id);
        }
      }
    }
    if (this.marks.size === 0 && interrupted.size === 0) return [];

    const out: BridgeOutput[] = [
      { to: 'twilio', message: { event: 'clear', streamSid: this.options.streamSid } },
    ];
    this.marks.clear();
    if (this.phase === 'closed') return this.finishIfEnding(out);
    if (running !== undefined) {
      this.remember(this.cancelled, running, undefined, MAX_TRACKED_RESPONSES);
      this.activeResponseId = undefined;
      out.push({ to: 'realtime', message: { type: 'response.cancel', response_id: running } });
    }
    for (const id of interrupted) {
      const item = this.items.get(id);
      if (item?.fate !== 'live') continue;
      if (item.playedMs > 0) {
        item.fate = 'truncated';
        out.push({
          to: 'realtime',
          message: {
            type: 'conversation.item.truncate',
            item_id: id,
            content_index: item.contentIndex,
            audio_end_ms: item.playedMs,
          },
        });
      } else {
        item.fate = 'deleted';
        out.push({ to: 'realtime', message: { type: 'conversation.item.delete', item_id: id } });
      }
    }
    return this.finishIfEnding(out);
  }

  private onCallerTranscript(itemId: string, text: string, now: number): BridgeOutput[] {
    const at = this.speechStartedAt.get(itemId) ?? now;
    this.speechStartedAt.delete(itemId);
    return this.transcript('caller', itemId, text, at);
  }

  private onAgentTranscript(itemId: string, text: string, now: number): BridgeOutput[] {
    const item = this.items.get(itemId);
    if (item?.fate === 'deleted') return [];
    return this.transcript('agent', itemId, text, item?.firstAudioAt ?? now);
  }

  private transcript(role: TranscriptRole, itemId: string, text: string, at: number): BridgeOutput[] {
    const trimmed = text.trim();
    if (trimmed === '') return [];
    const event: TranscriptEvent = {
      kind: 'transcript',
      callSid: this.options.callSid,
      at: new Date(at).toISOString(),
      role,
      itemId,
      text: trimmed.slice(0, MAX_TRANSCRIPT_CHARS),
    };
    return [{ to: 'events', event, msgId: `transcript:${this.options.callSid}:${itemId}` }];
  }

  /** Once the agent asked to hang up, the stream ends when its response is over and all audio played. */
  private finishIfEnding(out: BridgeOutput[]): BridgeOutput[] {
    if (this.ending && this.activeResponseId === undefined && this.marks.size === 0) {
      out.push(...this.end('agent-hung-up', END_CALL_REASON));
    }
    return out;
  }

  private end(cause: BridgeEndCause, reason: string): BridgeOutput[] {
    if (this.ended) return [];
    this.ended = true;
    this.held = [];
    this.heldTimestamps = [];
    this.heldBytes = 0;
    this.marks.clear();
    return [{ to: 'end', cause, reason }];
  }

  /** Adds to a Map or Set, forgetting the oldest entry beyond `max`. */
  private remember<K, V>(store: Map<K, V> | Set<K>, key: K, value: V, max: number): void {
    if (store instanceof Map) store.set(key, value);
    else store.add(key);
    if (store.size > max) {
      const oldest = store.keys().next();
      if (!oldest.done) store.delete(oldest.value);
    }
  }
}
