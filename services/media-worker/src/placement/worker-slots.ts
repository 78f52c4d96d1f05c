import type { Call } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { ReservationHooks } from './reservation-hooks.js';
import type { ReserveOutcome, SlotBook } from './slot-book.js';

/** What became of a reservation request or a reservation (the worker's `media_worker_reservations_total`). */
export type ReservationOutcome =
  | 'reserved'
  | 'renewed'
  | 'full'
  | 'draining'
  | 'taken'
  | 'expired'
  | 'dropped';

/** What a stream holding a slot gives back when it ends (once; later calls do nothing). */
export type SlotRelease = () => void;

/**
 * The worker's slot book at work: it lapses reservations on time (one timer, at the next expiry) and tells
 * the reservation hooks (warm sessions) what became of each reservation.
 */
export class WorkerSlots {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly book: SlotBook,
    private readonly hooks: ReservationHooks,
    private readonly log: Logger,
    private readonly observe: (outcome: ReservationOutcome) => void = () => {},
    private readonly clock: () => number = Date.now,
  ) {}

  get live(): number {
    return this.book.live;
  }

  get reserved(): number {
    return this.book.reserved;
  }

  get capacity(): number {
    return this.book.capacity;
  }

  get draining(): boolean {
    return this.book.isDraining;
  }

  /** The gateway asks for a slot for `call` (its stream should follow within the reservation's time). */
  reserve(call: Call): ReserveOutcome {
    const now = this.clock();
    this.lapse(now);
    const outcome = this.book.reserve(call.callSid, now);
    if (!outcome.ok) {
      this.observe(outcome.reason);
      this.log.info({ callSid: call.callSid, reason: outcome.reason }, 'reservation refused');
      return outcome;
    }
    this.observe(outcome.renewed ? 'renewed' : 'reserved');
    if (!outcome.renewed) this.log.info({ callSid: call.callSid }, 'slot reserved');
    this.hooks.reserved(call, outcome.expiresAtMs);
    this.schedule();
    return outcome;
  }

  /** A stream's `start` names `callSid`: its slot's release, or undefined when it has no room here. */
  admit(callSid: string): SlotRelease | undefined {
    const now = this.clock();
    this.lapse(now);
    const outcome = this.book.start(callSid, now);
    if (outcome === 'full' || outcome === 'draining') return undefined;
    if (outcome === 'taken') {
      this.observe('taken');
      this.hooks.taken(callSid);
      this.schedule();
    }
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      this.book.ended();
    };
  }

  /** Draining: every reservation is dropped (its stream will be refused), and no new one is taken. */
  drain(): void {
    for (const callSid of this.book.drain()) this.dropped(callSid, 'draining');
    this.schedule();
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private lapse(now: number): void {
    for (const callSid of this.book.expire(now)) this.dropped(callSid, 'expired');
  }

  private dropped(callSid: string, why: 'expired' | 'draining'): void {
    this.observe(why === 'expired' ? 'expired' : 'dropped');
    this.log.info({ callSid, why }, 'reservation dropped without a stream');
    this.hooks.expired(callSid);
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const next = this.book.nextExpiryMs();
    if (next === undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.lapse(this.clock());
        this.schedule();
      },
      Math.max(0, next - this.clock()),
    );
    this.timer.unref();
  }
}
