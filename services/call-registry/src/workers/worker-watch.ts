import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { type EventSink, parseMessage } from '@switchboard/bus';
import { WORKER_SUBJECTS, WorkerAnnouncement } from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type pg from 'pg';
import { type LapsedWorker, WorkerLeases } from './worker-leases.js';
import { endLostWorkerStreams, saveWorkerLease, workersWithStreams } from './worker-streams-sql.js';

/** How often leases are checked: a lapse is acted on within this much of the lease running out. */
export const LEASE_CHECK_MS = 250;
/**
 * A check this late after the one before means this registry was not listening (its event loop held up, its
 * NATS connection away): nobody's lease is judged on that gap (WorkerLeases).
 */
export const STALL_MS = 4 * LEASE_CHECK_MS;
/** The lease of a worker known only from the database, when it never announced one to any registry. */
export const FALLBACK_LEASE_MS = 4_000;

export interface WorkerWatchDeps {
  nc: NatsConnection;
  pool: pg.Pool;
  /** Where the `ended` (`worker-lost`) event of each call this replica ends goes (CALL_EVENTS). */
  events: EventSink;
  log: Logger;
  /** The calls ended for a lost worker (their cached lookups are stale). */
  ended: (callSids: string[]) => void;
  clock?: () => number;
  checkMs?: number;
}

/**
 * The registry's watch on media workers (SPEC: Scale-out): every replica listens to `worker.announce` and
 * keeps each worker's lease; when a worker that holds streams (`worker_streams`) is not heard within its
 * `leaseMs`, its calls are ended with the reason `worker-lost`. Replicas need not agree on anything: the
 * ending takes the stream's row under the call's lock, so whichever replica comes first ends the call and
 * the others find nothing left to do. A registry that starts after a worker died finds the worker's rows and
 * gives it one lease (the one it last announced) to speak before ending them. While this registry's own
 * NATS connection is away it hears nobody, so leases run again from its reconnection.
 */
export class WorkerWatch {
  private readonly leases = new WorkerLeases(STALL_MS);
  /** Lapsed workers whose calls are still to be ended (kept on failure and tried again). */
  private readonly lost = new Map<string, LapsedWorker>();
  private readonly clock: () => number;
  private subscription: Subscription | undefined;
  private timer: NodeJS.Timeout | undefined;
  private connected = true;
  private checking: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly deps: WorkerWatchDeps) {
    this.clock = deps.clock ?? Date.now;
  }

  async start(): Promise<void> {
    const { nc, log } = this.deps;
    this.subscription = nc.subscribe(WORKER_SUBJECTS.announce, {
      callback: (err, msg) => {
        if (err !== null) {
          log.warn({ err }, 'worker announcements subscription failed');
          return;
        }
        const parsed = parseMessage(msg.data, WorkerAnnouncement);
        if (parsed.ok) this.heard(parsed.value);
        else log.debug({ reason: parsed.reason }, 'malformed worker announcement ignored');
      },
    });
    void this.watchConnection();
    for (const { workerId, leaseMs } of await workersWithStreams(this.deps.pool)) {
      this.leases.expect(workerId, leaseMs ?? FALLBACK_LEASE_MS, this.clock());
    }
    this.timer = setInterval(() => this.check(), this.deps.checkMs ?? LEASE_CHECK_MS);
    this.timer.unref();
  }

  /** A stream started on `workerId` (its event was applied): its worker must be heard from from now on. */
  streamOn(workerId: string): void {
    this.leases.expect(workerId, FALLBACK_LEASE_MS, this.clock());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.subscription?.unsubscribe();
    await this.checking;
  }

  private heard(announcement: WorkerAnnouncement): void {
    const { workerId, leaseMs } = announcement;
    const now = this.clock();
    this.lost.delete(workerId);
    if (this.leases.heard(workerId, leaseMs, now)) {
      saveWorkerLease(this.deps.pool, workerId, leaseMs, new Date(now)).catch((err: unknown) =>
        this.deps.log.warn({ err, workerId }, 'worker lease not saved'),
      );
    }
  }

  private async watchConnection(): Promise<void> {
    for await (const status of this.deps.nc.status()) {
      if (status.type === 'disconnect') this.connected = false;
      else if (status.type === 'reconnect') {
        this.connected = true;
        this.leases.restart(this.clock());
      }
    }
  }

  /** Every LEASE_CHECK_MS: leases are judged (even while calls of lost workers are still being ended). */
  private check(): void {
    if (this.stopped || !this.connected) return;
    for (const lapsed of this.leases.lapse(this.clock())) this.lost.set(lapsed.workerId, lapsed);
    if (this.checking !== undefined || this.lost.size === 0) return;
    this.checking = this.endLost().finally(() => {
      this.checking = undefined;
    });
  }

  private async endLost(): Promise<void> {
    for (const { workerId, lastHeardAt } of [...this.lost.values()]) {
      if (this.stopped) return;
      try {
        const ended = await endLostWorkerStreams(
          this.deps.pool,
          this.deps.events,
          workerId,
          new Date(lastHeardAt),
        );
        this.lost.delete(workerId);
        if (ended.length > 0) {
          this.deps.log.warn({ workerId, calls: ended.length }, 'media worker lost: its calls ended');
          this.deps.ended(ended);
        }
      } catch (err) {
        this.deps.log.error({ err, workerId }, 'calls of a lost media worker not ended yet, will retry');
      }
    }
  }
}
