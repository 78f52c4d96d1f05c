import type { AckFloor } from './ack-floor.js';

/**
 * Lets the deliveries of an event be queued only once those of every earlier event are: the fan-out's own
 * consumer is shared by replicas, and a receiver must see a call's events in order. An event's turn has come
 * when the one before it (stream sequence `seq - 1`) is done here, or acknowledged by whichever replica had
 * it (the consumer's acknowledgement floor). `missing` says whether a sequence is not in the stream at all
 * (removed by a limit): such a gap holds nobody up.
 */
export class Sequencer {
  private readonly done = new Set<number>();
  /** Events in hand here, with whoever waits for them. */
  private readonly held = new Map<number, Array<(done: boolean) => void>>();

  constructor(
    private readonly floor: AckFloor,
    private readonly missing: (seq: number) => Promise<boolean>,
  ) {}

  hold(seq: number): void {
    if (!this.held.has(seq)) this.held.set(seq, []);
  }

  /** The event's deliveries are queued (or it owed none). */
  markDone(seq: number): void {
    this.done.add(seq);
    this.release(seq, true);
    if (this.done.size > 10_000) this.prune();
  }

  /** The event goes back to the stream (redelivered later, maybe elsewhere): those after it wait again. */
  markFailed(seq: number): void {
    this.release(seq, false);
  }

  /** Resolves true once `seq`'s turn has come, false when it did not within `timeoutMs`. */
  async turn(seq: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    let before = seq - 1;
    if (this.isDone(before)) return true;
    const waiters = this.held.get(before);
    if (waiters) {
      const done = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), timeoutMs);
        waiters.push((d) => {
          clearTimeout(timer);
          resolve(d);
        });
      });
      return done || this.isDone(before);
    }
    if (await this.floor.reach(before, timeoutMs)) return true;
    if (Date.now() < deadline) return false;
    // Stuck: a gap in the stream holds nobody up; an event still unacknowledged does.
    while (before > this.floor.known && !this.done.has(before) && (await this.missing(before))) before--;
    return this.isDone(before);
  }

  private isDone(seq: number): boolean {
    return seq <= this.floor.known || this.done.has(seq);
  }

  private release(seq: number, done: boolean): void {
    const waiters = this.held.get(seq);
    this.held.delete(seq);
    for (const wake of waiters ?? []) wake(done);
  }

  private prune(): void {
    for (const seq of this.done) if (seq <= this.floor.known) this.done.delete(seq);
  }
}
