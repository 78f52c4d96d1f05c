/**
 * Bytes kept per frame. Twilio's 20 ms μ-law frame is 216 base64 characters; a larger frame keeps its string.
 */
const SLOT_BYTES = 256;

/**
 * The last caller frames sent to the Realtime API, oldest first. Frames written to a socket in the moments
 * before its drop is noticed are lost with it; after a reconnect they are sent again, to the new session.
 *
 * The base64 text is copied into one buffer allocated per call rather than kept as strings: every frame
 * lives here for two seconds, long enough for V8 to move each string to the old generation, where 10,000
 * strings a second dying at 200 calls meant a full collection every two seconds and a latency tail to match.
 */
export class RecentAudio {
  private bytes: Buffer | undefined;
  /** Characters of the frame in each slot; -1 when it is in `oversized`. */
  private readonly lengths: Int32Array;
  private readonly timestamps: Float64Array;
  private readonly oversized = new Map<number, string>();
  private next = 0;
  private count = 0;

  constructor(private readonly capacity: number) {
    this.lengths = new Int32Array(capacity);
    this.timestamps = new Float64Array(capacity);
  }

  /** `payload` is base64, so one character is one byte. */
  push(payload: string, timestampMs: number): void {
    const slot = this.next;
    if (this.lengths[slot] === -1) this.oversized.delete(slot);
    if (payload.length <= SLOT_BYTES) {
      this.bytes ??= Buffer.allocUnsafe(this.capacity * SLOT_BYTES);
      this.bytes.write(payload, slot * SLOT_BYTES, 'latin1');
      this.lengths[slot] = payload.length;
    } else {
      this.oversized.set(slot, payload);
      this.lengths[slot] = -1;
    }
    this.timestamps[slot] = timestampMs;
    this.next = (slot + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The frames and their Twilio timestamps, oldest first; the ring is empty afterwards. */
  drain(): { payloads: string[]; timestamps: number[] } {
    const start = (this.next - this.count + this.capacity) % this.capacity;
    const payloads: string[] = [];
    const timestamps: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const slot = (start + i) % this.capacity;
      const length = this.lengths[slot] as number;
      const offset = slot * SLOT_BYTES;
      payloads.push(
        length < 0
          ? (this.oversized.get(slot) as string)
          : (this.bytes as Buffer).toString('latin1', offset, offset + length),
      );
      timestamps.push(this.timestamps[slot] as number);
    }
    this.count = 0;
    this.next = 0;
    this.oversized.clear();
    return { payloads, timestamps };
  }
}
