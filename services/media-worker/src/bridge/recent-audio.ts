/**
 * The last caller frames sent to the Realtime API, oldest first. Frames written to a socket in the moments
 * before its drop is noticed are lost with it; after a reconnect they are sent again, to the new session.
 */
export class RecentAudio {
  private readonly payloads: string[];
  private readonly timestamps: number[];
  private next = 0;
  private count = 0;

  constructor(private readonly capacity: number) {
    this.payloads = new Array<string>(capacity);
    this.timestamps = new Array<number>(capacity).fill(0);
  }

  push(payload: string, timestampMs: number): void {
    this.payloads[this.next] = payload;
    this.timestamps[this.next] = timestampMs;
    this.next = (this.next + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /** The frames and their Twilio timestamps, oldest first; the ring is empty afterwards. */
  drain(): { payloads: string[]; timestamps: number[] } {
    const start = (this.next - this.count + this.capacity) % this.capacity;
    const payloads: string[] = [];
    const timestamps: number[] = [];
    for (let i = 0; i < this.count; i++) {
      const at = (start + i) % this.capacity;
      payloads.push(this.payloads[at] as string);
      timestamps.push(this.timestamps[at] as number);
    }
    this.count = 0;
    this.next = 0;
    this.payloads.fill('');
    return { payloads, timestamps };
  }
}
