/**
 * The lease of each media worker, as this registry sees it (pure: every method takes `now`). A worker is
 * alive while it was heard on `worker.announce` within its `leaseMs`; past that it has lapsed and its live
 * calls are to be ended (`worker-lost`). Times are this registry's own clock at receipt, never the
 * announcement's `at`, so clock skew between machines does not matter.
 */
export interface LapsedWorker {
  workerId: string;
  /** When it was last heard (or, for one known only from the database, when this registry began to wait). */
  lastHeardAt: number;
}

interface Lease {
  leaseMs: number;
  heardAt: number;
}

export class WorkerLeases {
  private readonly leases = new Map<string, Lease>();
  private lastLapseAt: number | undefined;

  /**
   * `stallMs`: when `lapse` is asked this long after the last time, this registry was not listening (its
   * event loop held up, or its checks paused while disconnected): announcements may be waiting unread, so
   * nobody's lease is judged on that gap — they all run again from then.
   */
  constructor(private readonly stallMs = Number.POSITIVE_INFINITY) {}

  get size(): number {
    return this.leases.size;
  }

  /** An announcement: returns true when the worker is new here or its lease changed (worth persisting). */
  heard(workerId: string, leaseMs: number, now: number): boolean {
    const known = this.leases.get(workerId);
    this.leases.set(workerId, { leaseMs, heardAt: now });
    return known?.leaseMs !== leaseMs;
  }

  /**
   * A worker that holds streams (the database or a stream event says so) but has not been heard here: it
   * gets one lease from `now` to announce itself.
   */
  expect(workerId: string, leaseMs: number, now: number): void {
    if (!this.leases.has(workerId)) this.leases.set(workerId, { leaseMs, heardAt: now });
  }

  /** This registry could not hear anyone (its NATS connection was away): every lease runs again from `now`. */
  restart(now: number): void {
    for (const lease of this.leases.values()) lease.heardAt = Math.max(lease.heardAt, now);
  }

  /** The workers whose lease has run out by `now`, forgotten here (an announcement brings one back). */
  lapse(now: number): LapsedWorker[] {
    const gapMs = now - (this.lastLapseAt ?? now);
    this.lastLapseAt = now;
    if (gapMs > this.stallMs) {
      this.restart(now);
      return [];
    }
    const lapsed: LapsedWorker[] = [];
    for (const [workerId, { leaseMs, heardAt }] of this.leases) {
      if (now - heardAt > leaseMs) lapsed.push({ workerId, lastHeardAt: heardAt });
    }
    for (const { workerId } of lapsed) this.leases.delete(workerId);
    return lapsed;
  }
}
