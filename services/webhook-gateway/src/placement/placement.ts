import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { parseMessage, request } from '@switchboard/bus';
import {
  type Call,
  SwitchboardError,
  WORKER_SUBJECTS,
  WorkerAnnouncement,
  WorkerDrainingError,
  WorkerFullError,
  WorkerReserveReply,
  WorkerReserveRequest,
  workerReserveSubject,
} from '@switchboard/contracts';
import type { Logger } from '@switchboard/logger';
import type { GatewayMetrics } from '../metrics.js';
import { WorkerDirectory } from './worker-directory.js';

/** Where a call's stream goes: a worker's own URL (it reserved a slot), or nowhere in time. */
export type PlaceCall = (call: Call) => Promise<string | undefined>;

/** What the routes need of placement. */
export interface Placer {
  place: PlaceCall;
  /** Whether any worker known now could take a call (else placing is skipped altogether). */
  hasCandidates(): boolean;
}

export interface PlacementDeps {
  nc: NatsConnection;
  /** All the time one call's placement may take, every worker asked included (PLACEMENT_TIMEOUT_MS). */
  timeoutMs: number;
  metrics: Pick<GatewayMetrics, 'placementDuration' | 'countWorkers'>;
  log: Logger;
  clock?: () => number;
}

/** `worker.reserve.<workerId>` as a typed request. */
export function workerReserveSpec(workerId: string) {
  return {
    subject: workerReserveSubject(workerId),
    request: WorkerReserveRequest,
    reply: WorkerReserveReply,
  };
}

/**
 * Capacity-aware placement (SPEC: Scale-out): listens to `worker.announce` and, for a call, asks the least
 * loaded workers with room in turn for a slot (`worker.reserve.<id>`) until one reserves it or
 * `timeoutMs` is spent. A refusal (full, draining) moves on to the next worker; a worker nobody answers for
 * is forgotten until it announces itself again.
 */
export class Placement implements Placer {
  private readonly directory = new WorkerDirectory();
  private readonly subscription: Subscription;
  private readonly clock: () => number;

  constructor(private readonly deps: PlacementDeps) {
    this.clock = deps.clock ?? Date.now;
    deps.metrics.countWorkers = () => this.workersKnown();
    this.subscription = deps.nc.subscribe(WORKER_SUBJECTS.announce, {
      callback: (err, msg) => {
        if (err !== null) {
          deps.log.warn({ err }, 'worker announcements subscription failed');
          return;
        }
        const parsed = parseMessage(msg.data, WorkerAnnouncement);
        if (parsed.ok) this.directory.heard(parsed.value, this.clock());
        else deps.log.debug({ reason: parsed.reason }, 'malformed worker announcement ignored');
      },
    });
  }

  hasCandidates(): boolean {
    return this.directory.candidates(this.clock()).length > 0;
  }

  /** Workers heard within their lease (some may be draining or full). */
  workersKnown(): number {
    return this.directory.known(this.clock());
  }

  /** The media URL of a worker that reserved a slot for `call`, or undefined (none with room answered in time). */
  readonly place: PlaceCall = async (call) => {
    const started = this.clock();
    const deadline = started + this.deps.timeoutMs;
    const { callSid } = call;
    for (const candidate of this.directory.candidates(started)) {
      const left = deadline - this.clock();
      if (left <= 0) break;
      const { workerId } = candidate;
      try {
        const reply = await request(this.deps.nc, workerReserveSpec(workerId), { call }, { timeoutMs: left });
        if (reply.workerId !== workerId || reply.callSid !== callSid) {
          this.deps.log.warn({ callSid, workerId }, 'reservation reply for another worker or call ignored');
          this.directory.unreachable(workerId);
          continue;
        }
        this.directory.reserved(workerId);
        this.observe('placed', started);
        return reply.mediaUrl;
      } catch (err) {
        if (err instanceof WorkerFullError || err instanceof WorkerDrainingError) {
          this.directory.refused(workerId);
          continue;
        }
        const code = err instanceof SwitchboardError ? err.code : 'INTERNAL';
        this.deps.log.warn({ callSid, workerId, code }, 'worker did not answer a reservation');
        this.directory.unreachable(workerId);
      }
    }
    this.observe('none', started);
    return undefined;
  };

  close(): void {
    this.subscription.unsubscribe();
  }

  private observe(outcome: 'placed' | 'none', started: number): void {
    this.deps.metrics.placementDuration.observe({ outcome }, (this.clock() - started) / 1_000);
  }
}
