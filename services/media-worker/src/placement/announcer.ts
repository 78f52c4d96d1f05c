import type { NatsConnection } from '@nats-io/nats-core';
import { WORKER_SUBJECTS, type WorkerAnnouncement } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';

/** How often a worker announces itself on `worker.announce`. */
export const ANNOUNCE_INTERVAL_MS = 1_000;
/**
 * How long after its last announcement a worker is taken as gone: four intervals, so one or two lost
 * announcements (a NATS reconnect) do not end its calls, and a dead worker is noticed within ~4 s.
 */
export const WORKER_LEASE_MS = 4 * ANNOUNCE_INTERVAL_MS;

export type WorkerLoad = Pick<WorkerAnnouncement, 'live' | 'reserved' | 'capacity' | 'draining'>;

export interface AnnouncerOptions {
  nc: NatsConnection;
  workerId: string;
  mediaUrl: string | null;
  load: () => WorkerLoad;
  log: Logger;
  intervalMs?: number;
  leaseMs?: number;
}

/**
 * Publishes this worker's `WorkerAnnouncement` every `intervalMs`: at once when started, again whenever
 * `now()` is asked (a drain begins, the worker stops), so gateways and registries never act on a stale
 * `draining`. Core NATS, fire and forget: a lost announcement is replaced by the next one.
 */
export class Announcer {
  private readonly timer: NodeJS.Timeout;
  private stopped = false;

  constructor(private readonly options: AnnouncerOptions) {
    this.timer = setInterval(() => this.now(), options.intervalMs ?? ANNOUNCE_INTERVAL_MS);
    this.timer.unref();
    this.now();
  }

  /** Announces the worker as it is now. */
  now(): void {
    if (this.stopped) return;
    const { nc, workerId, mediaUrl, load, log } = this.options;
    const announcement: WorkerAnnouncement = {
      workerId,
      mediaUrl,
      ...load(),
      leaseMs: this.options.leaseMs ?? WORKER_LEASE_MS,
      at: new Date().toISOString(),
    };
    try {
      nc.publish(WORKER_SUBJECTS.announce, JSON.stringify(announcement));
    } catch (err) {
      // Closed or draining connection: the lease lapses, as it should for a worker that cannot be reached.
      log.debug({ err }, 'announcement not published');
    }
  }

  /** One last announcement (the caller has set `draining`), then no more. */
  stop(): void {
    this.now();
    this.stopped = true;
    clearInterval(this.timer);
  }
}
