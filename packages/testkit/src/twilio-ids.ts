import { randomBytes } from 'node:crypto';

/** A callSid as Twilio makes them: `CA` and 32 lowercase hex digits, new each time. */
export function newCallSid(): string {
  return `CA${randomBytes(16).toString('hex')}`;
}
