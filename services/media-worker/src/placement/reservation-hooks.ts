import type { Call } from '@switchboard/contracts';
export interface ReservationHooks {
  /** A slot was reserved for this call: its stream should arrive soon (prepare for it). */
  reserved(call: Call, expiresAtMs: number): void;
  /** The reservation lapsed without a stream: drop whatever was prepared. */
  expired(callSid: string): void;
  /** The call's stream arrived and took its reservation. */
  taken(callSid: string): void;
}
export const NO_RESERVATION_HOOKS: ReservationHooks = { reserved() {}, expired() {}, taken() {} };
