/** Calls remembered (the oldest forgotten first). */
const MAX_REMEMBERED = 10_000;

/**
 * Calls whose recording this replica saw end without one (Twilio's `absent`, `failed`, or the gateway's
 * `start-failed`): the fan-out notes them as their `recording` events pass, the deliverer lets their report go
 * without waiting out `WEBHOOK_RECORDING_WAIT_MS`. Only a hint: on another replica or after a restart the bound
 * applies.
 */
export class RecordingsOver {
  private readonly calls = new Set<string>();

  add(callSid: string): void {
    this.calls.delete(callSid);
    this.calls.add(callSid);
    if (this.calls.size > MAX_REMEMBERED) {
      const oldest = this.calls.values().next().value;
      if (oldest !== undefined) this.calls.delete(oldest);
    }
  }

  has(callSid: string): boolean {
    return this.calls.has(callSid);
  }
}

/** The recording statuses after which the call will not have a recording from it. */
export const RECORDING_NEVER_STATUSES: ReadonlySet<string> = new Set(['absent', 'failed', 'start-failed']);
