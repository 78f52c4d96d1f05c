import { MULAW_BYTES_PER_MS } from '@switchboard/contracts';
import { base64DecodedLength } from './audio-bytes.js';
import { MarkQueue } from './mark-queue.js';
import { remember } from './remember.js';
import type { AudioBytes, BridgeOutput, ConnectionId } from './types.js';

/** An assistant item whose audio we relayed. */
interface AgentItem {
  responseId: string;
  connection: ConnectionId;
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
/** The "connection" of the worker's own audio in the mark queue: no Realtime socket has this id. */
const LOCAL_AUDIO: ConnectionId = 0;
const MAX_TRACKED_RESPONSES = 32;
/** The "connection" of a kept greeting's audio: the worker plays it, no session of this call produced it. */
const KEPT_AUDIO: ConnectionId = -1;
/** The kept greeting's item in the playback's bookkeeping (no Realtime item has this id). */
const KEPT_ITEM = '#kept-greeting';

/**
 * The agent's side of the call: its audio on the way to Twilio, each chunk followed by a mark, and what the
 * caller has heard of it (Twilio echoes a mark once the audio before it has played). On barge-in it works
 * out what to cut: Twilio's queue (`clear`), the running response (`response.cancel`), and the server's
 * copy of each interrupted item, truncated at what was heard or deleted if nothing was.
 * State is mutated in place: a long answer queues hundreds of marks, and the relay runs 50 times a second.
 */
export class AgentPlayback {
  private active: { connection: ConnectionId; responseId: string } | undefined;
  private readonly cancelled = new Set<string>();
  private readonly items = new Map<string, AgentItem>();
  private readonly marks = new MarkQueue();
  private markSeq = 0;
  /** The last of our marks Twilio has echoed (every earlier one has played too). */
  echoedThrough = 0;
  /** Where the last barge-in cut the kept greeting (ms heard); undefined if it did not cut it. */
  keptCutAtMs: number | undefined;

  constructor(private readonly streamSid: () => string) {}

  /** Whether the agent is talking: a response is running, or its audio has not all played at Twilio. */
  get speaking(): boolean {
    return this.active !== undefined || this.marks.size > 0;
  }

  /** Marks sent to Twilio and not echoed yet. */
  get queuedMarks(): number {
    return this.marks.size;
  }

  responseCreated(connection: ConnectionId, responseId: string): void {
    this.active = { connection, responseId };
  }

  responseDone(responseId: string): void {
    if (this.active?.responseId === responseId) this.active = undefined;
  }

  /** The session on `connection` is gone: whatever it was saying will not go on. */
  sessionLost(connection: ConnectionId): void {
    if (this.active?.connection === connection) this.active = undefined;
  }

  /** A chunk of agent audio: for Twilio with its mark, or nothing if its item or response was cut. */
  audio(
    connection: ConnectionId,
    responseId: string,
    itemId: string,
    contentIndex: number,
    payload: AudioBytes,
    now: number,
  ): BridgeOutput | undefined {
    if (this.cancelled.has(responseId)) return undefined;
    let item = this.items.get(itemId);
    if (item === undefined) {
      item = {
        responseId,
        connection,
        contentIndex,
        sentBytes: 0,
        playedMs: 0,
        firstAudioAt: now,
        fate: 'live',
      };
      remember(this.items, itemId, item, MAX_TRACKED_ITEMS);
    } else if (item.fate !== 'live') {
      return undefined;
    }
    item.sentBytes += base64DecodedLength(payload);
    const seq = ++this.markSeq;
    this.marks.push({ seq, itemId, connection, endMs: Math.floor(item.sentBytes / MULAW_BYTES_PER_MS) });
    return { to: 'twilio-audio', payload, mark: String(seq) };
  }

  /**
   * Audio of the worker's own (keypad tones), queued behind the agent's like its speech, each chunk with a
   * mark; `seq` is that mark's number. It belongs to no Realtime item: nothing of it is truncated.
   */
  local(payload: AudioBytes): { output: BridgeOutput; seq: number } {
    const seq = ++this.markSeq;
    this.marks.push({ seq, itemId: '', connection: LOCAL_AUDIO, endMs: 0 });
    return { output: { to: 'twilio-audio', payload, mark: String(seq) }, seq };
  }

  /**
   * A kept greeting (bridge/greeting.ts), queued like the agent's speech: a mark after each chunk, so that
   * what the caller heard of it is known, and cut by a barge-in like the agent's speech (`keptCutAtMs`).
   */
  kept(chunks: readonly AudioBytes[], now: number): BridgeOutput[] {
    const item: AgentItem = {
      responseId: '',
      connection: KEPT_AUDIO,
      contentIndex: 0,
      sentBytes: 0,
      playedMs: 0,
      firstAudioAt: now,
      fate: 'live',
    };
    remember(this.items, KEPT_ITEM, item, MAX_TRACKED_ITEMS);
    return chunks.map((payload) => {
      item.sentBytes += base64DecodedLength(payload);
      const seq = ++this.markSeq;
      const endMs = Math.floor(item.sentBytes / MULAW_BYTES_PER_MS);
      this.marks.push({ seq, itemId: KEPT_ITEM, connection: KEPT_AUDIO, endMs });
      return { to: 'twilio-audio', payload, mark: String(seq) };
    });
  }

  markEchoed(name: string): void {
    const seq = Number(name);
    if (!Number.isSafeInteger(seq)) return;
    const entry = this.marks.popThrough(seq);
    if (entry === undefined) return;
    this.echoedThrough = seq;
    const item = this.items.get(entry.itemId);
    if (item && item.connection === entry.connection && entry.endMs > item.playedMs)
      item.playedMs = entry.endMs;
  }

  /**
   * The caller started speaking while `connection` is the call's session (undefined when there is none).
   * When the agent's audio is queued at Twilio or still streaming, that is a barge-in. Keypad tones alone
   * are not cut: the other side speaking over them (a phone menu's prompt) is no reason to stop pressing.
   */
  bargeIn(connection: ConnectionId | undefined): BridgeOutput[] {
    const running = this.active?.connection === connection ? this.active?.responseId : undefined;
    const interrupted = new Set<string>();
    let agentQueued = false;
    let keptQueued = false;
    this.keptCutAtMs = undefined;
    for (const pending of this.marks.pendingItems()) {
      if (pending.connection === LOCAL_AUDIO) continue;
      agentQueued = true;
      if (pending.connection === connection) interrupted.add(pending.itemId);
      else if (pending.connection === KEPT_AUDIO) keptQueued = true;
    }
    if (running !== undefined) {
      for (const [id, item] of this.items) {
        if (item.responseId === running && item.fate === 'live') interrupted.add(id);
      }
    }
    if (!agentQueued && interrupted.size === 0) return [];

    const out: BridgeOutput[] = [{ to: 'twilio', message: { event: 'clear', streamSid: this.streamSid() } }];
    this.marks.clear();
    // No session has the kept greeting's audio to truncate: what was heard of it is for greeting.ts to use.
    const kept = keptQueued ? this.items.get(KEPT_ITEM) : undefined;
    if (kept?.fate === 'live') {
      kept.fate = kept.playedMs > 0 ? 'truncated' : 'deleted';
      this.keptCutAtMs = kept.playedMs;
    }
    if (connection === undefined) return out;
    if (running !== undefined) {
      remember(this.cancelled, running, undefined, MAX_TRACKED_RESPONSES);
      this.active = undefined;
      out.push({ to: 'realtime', connection, message: { type: 'response.cancel', response_id: running } });
    }
    for (const id of interrupted) {
      const item = this.items.get(id);
      if (item?.fate !== 'live') continue;
      if (item.playedMs > 0) {
        item.fate = 'truncated';
        out.push({
          to: 'realtime',
          connection,
          message: {
            type: 'conversation.item.truncate',
            item_id: id,
            content_index: item.contentIndex,
            audio_end_ms: item.playedMs,
          },
        });
      } else {
        item.fate = 'deleted';
        out.push({ to: 'realtime', connection, message: { type: 'conversation.item.delete', item_id: id } });
      }
    }
    return out;
  }

  /** When an agent item's transcript segment begins; undefined for an item the caller never heard. */
  transcriptAt(itemId: string, now: number): number | undefined {
    const item = this.items.get(itemId);
    if (item?.fate === 'deleted') return undefined;
    return item?.firstAudioAt ?? now;
  }

  clear(): void {
    this.marks.clear();
    this.active = undefined;
  }
}
