/**
 * A worker's slots (pure: every method takes `now`). `capacity` (MAX_CONCURRENT_CALLS) is shared by the
 * streams that have started and the reservations the gateways hold for streams still to come:
 * `live + reserved <= capacity` always. A stream whose call holds a reservation takes it (it always has
 * room); any other stream gets a slot only if one is free of both. A reservation not taken within `ttlMs`
 * lapses and frees its slot. A draining worker reserves nothing and admits no stream.
 */
export type ReserveOutcome =
  | { ok: true; expiresAtMs: number; renewed: boolean }
  | { ok: false; reason: 'draining' | 'full' };

/** At a stream's `start`: it took its call's reservation, got a free slot, or found none. */
export type StartOutcome = 'taken' | 'free' | 'full' | 'draining';

export class SlotBook {
  /** callSid → when its reservation lapses. */
  private readonly reservations = new Map<string, number>();
  private started = 0;
  private draining = false;

  constructor(
    readonly capacity: number,
    private readonly ttlMs: number,
  ) {}

  /** Streams started and not ended. */
  get live(): number {
    return this.started;
  }

  get reserved(): number {
    return this.reservations.size;
  }

  get isDraining(): boolean {
    return this.draining;
  }

  /** Holds (or, for a call already holding one, extends) a slot for `callSid` until `now + ttlMs`. */
  reserve(callSid: string, now: number): ReserveOutcome {
    if (this.draining) return { ok: false, reason: 'draining' };
    const expiresAtMs = now + this.ttlMs;
    const held = this.reservations.get(callSid);
    if (held !== undefined && held > now) {
      this.reservations.set(callSid, expiresAtMs);
      return { ok: true, expiresAtMs, renewed: true };
    }
    if (held !== undefined) this.reservations.delete(callSid);
    if (this.started + this.reservations.size >= this.capacity) return { ok: false, reason: 'full' };
    this.reservations.set(callSid, expiresAtMs);
    return { ok: true, expiresAtMs, renewed: false };
  }

  /**
   * A stream for `callSid` started. Call `expire(now)` first: a lapsed reservation is no reservation. On
   * `taken` and `free` the stream holds a slot until `ended()`.
   */
  start(callSid: string, now: number): StartOutcome {
    if (this.draining) return 'draining';
    const held = this.reservations.get(callSid);
    if (held !== undefined && held > now) {
      this.reservations.delete(callSid);
      this.started++;
      return 'taken';
    }
    if (this.started + this.reservations.size >= this.capacity) return 'full';
    this.started++;
    return 'free';
  }

  /** A stream that held a slot (`start` said `taken` or `free`) ended. */
  ended(): void {
    if (this.started > 0) this.started--;
  }

  /** Drops the reservations lapsed by `now`; returns their callSids. */
  expire(now: number): string[] {
    const lapsed: string[] = [];
    for (const [callSid, expiresAtMs] of this.reservations) {
      if (expiresAtMs <= now) lapsed.push(callSid);
    }
    for (const callSid of lapsed) this.reservations.delete(callSid);
    return lapsed;
  }

  /** When the first reservation lapses; undefined when none is held. */
  nextExpiryMs(): number | undefined {
    let next: number | undefined;
    for (const expiresAtMs of this.reservations.values()) {
      if (next === undefined || expiresAtMs < next) next = expiresAtMs;
    }
    return next;
  }

  /** No more reservations or streams; returns the callSids of the reservations dropped. */
  drain(): string[] {
    this.draining = true;
    const dropped = [...this.reservations.keys()];
    this.reservations.clear();
    return dropped;
  }
}
