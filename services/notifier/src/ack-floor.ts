import type { JetStreamManager } from '@nats-io/jetstream';

/** Between two looks at a consumer's acknowledgement floor while someone waits for it. */
export const ACK_FLOOR_POLL_MS = 10;

/**
 * How far a durable consumer has got: its acknowledgement floor, the stream sequence up to which every
 * message was acknowledged (applied, for the registry's consumer). Waiters share one `consumer info` request
 * at a time, so a thousand waiting cost what one does.
 */
export class AckFloor {
  private floor = 0;
  private polling: Promise<void> | undefined;

  constructor(
    private readonly jsm: JetStreamManager,
    private readonly stream: string,
    private readonly consumer: string,
  ) {}

  /** The last floor seen (without asking). */
  get known(): number {
    return this.floor;
  }

  /** Asks the server once (or joins the request under way); resolves with the floor. */
  async refresh(): Promise<number> {
    this.polling ??= (async () => {
      try {
        const info = await this.jsm.consumers.info(this.stream, this.consumer);
        this.floor = Math.max(this.floor, info.ack_floor.stream_seq);
      } finally {
        this.polling = undefined;
      }
    })();
    await this.polling;
    return this.floor;
  }

  /**
   * Resolves true once the floor is at `seq` or beyond, false when `timeoutMs` passed first. Errors of the
   * request (the consumer not there yet, NATS away) count as "not yet".
   */
  async reach(seq: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.floor >= seq) return true;
      try {
        if ((await this.refresh()) >= seq) return true;
      } catch {
        // Asked again below.
      }
      if (Date.now() >= deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, ACK_FLOOR_POLL_MS));
    }
  }
}
