import { MULAW_BYTES_PER_MS } from '@switchboard/contracts';
import { base64DecodedLength } from './audio-bytes.js';
import type { AudioBytes } from './types.js';

/** Bytes kept per frame. Twilio's 20 ms μ-law frame is 216 bytes of base64; a larger frame is kept apart. */
const SLOT_BYTES = 256;

/** A frame of caller audio with its Twilio timestamp. */
export interface TimedFrame {
  payload: Buffer;
  timestampMs: number;
}

/**
 * The last caller frames sent to the current Realtime session, oldest first. Frames written to a socket in
 * the moments before its loss is noticed die with it; after a loss the ones the session may not have heard
 * are held again for the next session.
 *
 * The frames are copied into one buffer allocated per call rather than kept as separate objects: every
 * frame lives here for two seconds, long enough for V8 to promote it, and 10,000 frames a second dying in
 * the old generation at 200 calls meant a full collection every two seconds.
 */
export class RecentAudio {
  private bytes: Buffer | undefined;
  /** Bytes of the frame in each slot; -1 when it is in `oversized`. */
  private readonly lengths: Int32Array;
  private readonly timestamps: Float64Array;
  private readonly oversized = new Map<number, Buffer>();
  private next = 0;
  private count = 0;

  constructor(private readonly capacity: number) {
    this.lengths = new Int32Array(capacity);
    this.timestamps = new Float64Array(capacity);
  }

  push(payload: AudioBytes, timestampMs: number): void {
    const slot = this.next;
    if (this.lengths[slot] === -1) this.oversized.delete(slot);
    if (payload.length <= SLOT_BYTES) {
      this.bytes ??= Buffer.allocUnsafe(this.capacity * SLOT_BYTES);
      this.bytes.set(payload, slot * SLOT_BYTES);
      this.lengths[slot] = payload.length;
    } else {
      this.oversized.set(slot, Buffer.from(payload));
      this.lengths[slot] = -1;
    }
    this.timestamps[slot] = timestampMs;
    this.next = (slot + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** Copies of the frames that end after `afterMs` (all when undefined), oldest first; the ring is emptied. */
  drain(afterMs?: number): TimedFrame[] {
    const start = (this.next - this.count + this.capacity) % this.capacity;
    const frames: TimedFrame[] = [];
    for (let i = 0; i < this.count; i++) {
      const slot = (start + i) % this.capacity;
      const length = this.lengths[slot] as number;
      const offset = slot * SLOT_BYTES;
      const payload =
        length < 0
          ? (this.oversized.get(slot) as Buffer)
          : (this.bytes as Buffer).subarray(offset, offset + length);
      const timestampMs = this.timestamps[slot] as number;
      const endMs = timestampMs + base64DecodedLength(payload) / MULAW_BYTES_PER_MS;
      if (afterMs !== undefined && endMs <= afterMs) continue;
      frames.push({ payload: length < 0 ? payload : Buffer.from(payload), timestampMs });
    }
    this.clear();
    return frames;
  }

  clear(): void {
    this.count = 0;
    this.next = 0;
    this.oversized.clear();
  }
}
