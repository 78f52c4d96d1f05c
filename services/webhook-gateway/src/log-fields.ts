import { PhoneNumber } from '@switchboard/contracts';

/** A transfer target as a log field: its name, but never a phone number (numbers are redacted everywhere). */
export function targetForLog(target: string): string {
  return PhoneNumber.safeParse(target).success || /^sips?:/.test(target) ? '[redacted]' : target;
}
