import { MULAW_BYTES_PER_MS } from '@switchboard/contracts';
import { base64DecodedLength } from './audio-bytes.js';
import { RecentAudio, type TimedFrame } from './recent-audio.js';
import { remember } from './remember.js';
import type { AudioBytes, BridgeOutput, ConnectionId } from './types.js';

/** Caller frames (20 ms each) kept for a lost session's replay: 2 s. */
export const REPLAY_FRAMES = 100;
const MAX_TRACKED_SPEECH = 64;

/**
 * The caller's side of the call: audio held while no session can take it, the recent frames a lost session
 * may not have heard, and the timing of the caller's speech. Realtime counts `audio_start_ms` from the first
 * frame appended to a session; Twilio stamps each frame from the stream's start; this class holds the
 * difference, one session at a time.
 */
export class CallerInput {
  private held: TimedFrame[] = [];
  private heldBytes = 0;
  private readonly recent = new RecentAudio(REPLAY_FRAMES);
  /** Twilio timestamp of the first frame appended to the current session. */
  private originMs: number | undefined;
  /** Twilio timestamp up to which the current session has taken the caller's speech into a turn. */
  private committedMs: number | undefined;
  private readonly speechStartedAt = new Map<string, number>();
  /** Between a `speech_started` and its `speech_stopped`. */
  speaking = false;

  constructor(private readonly streamStartedAt: () => number) {}

  /** Milliseconds of audio held. */
  get heldMs(): number {
    return this.heldBytes / MULAW_BYTES_PER_MS;
  }

  /** A frame going to the current session now. */
  sent(payload: AudioBytes, timestampMs: number): void {
    this.originMs ??= timestampMs;
    this.recent.push(payload, timestampMs);
  }

  /** A frame no session can take yet: kept (copied) in order. */
  hold(payload: AudioBytes, timestampMs: number): void {
    this.held.push({ payload: Buffer.from(payload), timestampMs });
    this.heldBytes += base64DecodedLength(payload);
  }

  /** The held frames, for a session that has just become the call's; nothing is held afterwards. */
  release(connection: ConnectionId): BridgeOutput[] {
    const out: BridgeOutput[] = [];
    for (const frame of this.held) {
      this.sent(frame.payload, frame.timestampMs);
      out.push({ to: 'realtime-audio', connection, payload: frame.payload });
    }
    this.held = [];
    this.heldBytes = 0;
    return out;
  }

  /**
   * The current session is gone. Frames sent to it after its last turn began, which it may not have heard,
   * are held again (ahead of anything held since) for the next one.
   */
  sessionLost(): void {
    const replay = this.recent.drain(this.committedMs);
    for (const frame of replay) this.heldBytes += base64DecodedLength(frame.payload);
    this.held = replay.concat(this.held);
    this.newSession();
  }

  /** Another session takes the caller's audio from now on (the old one heard everything so far). */
  newSession(): void {
    this.recent.clear();
    this.originMs = undefined;
    this.committedMs = undefined;
    this.speaking = false;
    this.speechStartedAt.clear();
  }

  /** Server VAD heard speech begin at `audioStartMs` of the session's audio; returns when that was. */
  speechStarted(itemId: string, audioStartMs: number): void {
    this.speaking = true;
    const at = this.streamStartedAt() + (this.originMs ?? 0) + audioStartMs;
    remember(this.speechStartedAt, itemId, at, MAX_TRACKED_SPEECH);
  }

  speechStopped(audioEndMs: number): void {
    this.speaking = false;
    this.committedMs = (this.originMs ?? 0) + audioEndMs;
  }

  /** When the caller's segment for `itemId` began (its speech start, else now). */
  transcriptAt(itemId: string, now: number): number {
    const at = this.speechStartedAt.get(itemId) ?? now;
    this.speechStartedAt.delete(itemId);
    return at;
  }

  clear(): void {
    this.held = [];
    this.heldBytes = 0;
    this.recent.clear();
  }
}
