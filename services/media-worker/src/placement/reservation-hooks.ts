import type { Call } from '@switchboard/contracts';

/**
 * What the worker's reservations tell whoever prepares calls ahead of their streams (warm Realtime
 * sessions). `reserved` may come again for a callSid already reserved (the gateway asked twice): the
 * reservation is the same, with a later `expiresAtMs`.
 */
export interface ReservationHooks {
  /** A slot was reserved for this call: its stream should arrive soon (prepare for it). */
  reserved(call: Call, expiresAtMs: number): void;
  /** The reservation lapsed without a stream: drop whatever was prepared. */
  expired(callSid: string): void;
  /** The call's stream arrived and took its reservation. */
  taken(callSid: string): void;
}

/** No warm sessions wired: reservations only hold slots. */
export const NO_RESERVATION_HOOKS: ReservationHooks = { reserved() {}, expired() {}, taken() {} };
