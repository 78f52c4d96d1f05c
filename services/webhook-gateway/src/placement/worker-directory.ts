import type { WorkerAnnouncement } from '@switchboard/contracts';

/** A worker that may take a call, as this gateway knows it now. */
export interface PlacementCandidate {
  workerId: string;
  mediaUrl: string;
  /** Slots taken: live and reserved as announced, plus what this gateway reserved since. */
  load: number;
  capacity: number;
}

interface Known {
  announcement: WorkerAnnouncement;
  heardAt: number;
  /** Reservations this gateway got since the announcement (it does not show them yet). */
  reservedSince: number;
  /** The worker refused a reservation since the announcement: full (or draining) until it says otherwise. */
  refused: boolean;
}

/**
 * The workers this gateway has heard on `worker.announce` (pure: every method takes `now`). Each
 * announcement replaces the last; a worker not heard within its `leaseMs` is forgotten. Between
 * announcements the gateway counts its own reservations on each worker, so a burst of calls spreads over
 * the workers instead of piling onto the one that looked emptiest a second ago.
 */
export class WorkerDirectory {
  private readonly workers = new Map<string, Known>();

  get size(): number {
    return this.workers.size;
  }

  /** Forgets the workers not heard within their lease by `now`; how many are left. */
  known(now: number): number {
    for (const [workerId, { announcement, heardAt }] of this.workers) {
      if (now - heardAt > announcement.leaseMs) this.workers.delete(workerId);
    }
    return this.workers.size;
  }

  heard(announcement: WorkerAnnouncement, now: number): void {
    this.workers.set(announcement.workerId, { announcement, heardAt: now, reservedSince: 0, refused: false });
  }

  /**
   * The workers to ask, least loaded first (by the share of capacity in use, then the most free slots,
   * then the id): heard within their lease, with a media URL, not draining, not refused, with room.
   */
  candidates(now: number): PlacementCandidate[] {
    const out: PlacementCandidate[] = [];
    for (const [workerId, known] of this.workers) {
      const { announcement: a, heardAt, reservedSince, refused } = known;
      if (now - heardAt > a.leaseMs) {
        this.workers.delete(workerId);
        continue;
      }
      if (a.mediaUrl === null || a.draining || refused) continue;
      const load = a.live + a.reserved + reservedSince;
      if (load >= a.capacity) continue;
      out.push({ workerId, mediaUrl: a.mediaUrl, load, capacity: a.capacity });
    }
    return out.sort(
      (x, y) =>
        x.load / x.capacity - y.load / y.capacity ||
        y.capacity - y.load - (x.capacity - x.load) ||
        (x.workerId < y.workerId ? -1 : 1),
    );
  }

  /** The worker reserved a slot for this gateway. */
  reserved(workerId: string): void {
    const known = this.workers.get(workerId);
    if (known) known.reservedSince++;
  }

  /** The worker said it is full or draining: not asked again until its next announcement. */
  refused(workerId: string): void {
    const known = this.workers.get(workerId);
    if (known) known.refused = true;
  }

  /** Nobody answered for the worker: forgotten until it announces itself again. */
  unreachable(workerId: string): void {
    this.workers.delete(workerId);
  }
}
