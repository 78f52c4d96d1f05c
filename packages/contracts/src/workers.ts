import { z } from 'zod';
import { Call, CallSid, IsoTime } from './call.js';

/**
 * Media workers on NATS (SPEC: Scale-out). Every worker publishes a `WorkerAnnouncement` on
 * `worker.announce` at a steady interval; gateways keep the latest of each to place calls, and the registry
 * treats each as a lease: a worker not heard from within `leaseMs` is gone, and its live calls are ended
 * with the reason `worker-lost`.
 */
export const WORKER_SUBJECTS = {
  announce: 'worker.announce',
} as const;

/** Reserve a slot on one worker for a call about to be streamed to it (request/reply). */
export function workerReserveSubject(workerId: string): string {
  return `worker.reserve.${workerId}`;
}

/** A worker's id: unique per process (a token safe in a NATS subject). */
export const WorkerId = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'workerId is 1–64 characters of [A-Za-z0-9_-]');
export type WorkerId = z.infer<typeof WorkerId>;

export const WorkerAnnouncement = z.object({
  workerId: WorkerId,
  /** The worker's own `WORKER_MEDIA_URL` as Twilio reaches it; null when it only serves behind `MEDIA_STREAM_URL`. */
  mediaUrl: z.url({ protocol: /^(wss|ws)$/ }).nullable(),
  /** Streams it holds now. */
  live: z.number().int().nonnegative(),
  /** Slots reserved for streams that have not arrived yet. */
  reserved: z.number().int().nonnegative(),
  /** `MAX_CONCURRENT_CALLS`. */
  capacity: z.number().int().positive(),
  /** Draining workers take no reservations and no new streams. */
  draining: z.boolean(),
  /** The worker is to be taken as gone when no announcement has come for this long. */
  leaseMs: z.number().int().positive(),
  at: IsoTime,
});
export type WorkerAnnouncement = z.infer<typeof WorkerAnnouncement>;

/** `worker.reserve.<workerId>`: the gateway, at `/twilio/voice`, asks a worker with room to take this call. */
export const WorkerReserveRequest = z.object({
  /** The registered call, agent included: the worker prepares its Realtime session from it. */
  call: Call,
});
export type WorkerReserveRequest = z.infer<typeof WorkerReserveRequest>;

/** The slot is held until `expiresAt`; a stream for `callSid` arriving before then takes it. */
export const WorkerReserveReply = z.object({
  workerId: WorkerId,
  callSid: CallSid,
  mediaUrl: z.url({ protocol: /^(wss|ws)$/ }),
  expiresAt: IsoTime,
});
export type WorkerReserveReply = z.infer<typeof WorkerReserveReply>;
