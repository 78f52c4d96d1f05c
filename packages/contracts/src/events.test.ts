import { describe, expect, it } from 'vitest';
import { CallControlRequest } from './control.js';
import { CallEvent } from './events.js';

const callSid = `CA${'1'.repeat(32)}`;
const at = '2026-12-22T09:00:00.000Z';

describe('issue 11 events and control', () => {
  it('a recording event names its recording, unless it never started', () => {
    expect(CallEvent.safeParse({ kind: 'recording', callSid, at, status: 'completed' }).success).toBe(false);
    expect(
      CallEvent.safeParse({ kind: 'recording', callSid, at, status: 'start-failed', detail: 'refused' })
        .success,
    ).toBe(true);
    expect(
      CallEvent.parse({
        kind: 'recording',
        callSid,
        at,
        status: 'completed',
        recordingSid: `RE${'a'.repeat(32)}`,
        durationSeconds: 12,
        channels: 2,
      }),
    ).toMatchObject({ kind: 'recording', channels: 2 });
    expect(
      CallEvent.safeParse({ kind: 'recording', callSid, at, status: 'completed', recordingSid: 'RE1' })
        .success,
    ).toBe(false);
  });

  it('answeredBy keeps a value Twilio may add later, but not control characters', () => {
    expect(CallEvent.safeParse({ kind: 'answered-by', callSid, at, answeredBy: 'machine_new' }).success).toBe(
      true,
    );
    expect(CallEvent.safeParse({ kind: 'answered-by', callSid, at, answeredBy: 'a\nb' }).success).toBe(false);
  });

  it('voicemail carries the message, bounded', () => {
    expect(CallControlRequest.parse({ action: 'voicemail', text: ' Call us back. ' })).toEqual({
      action: 'voicemail',
      text: 'Call us back.',
    });
    expect(CallControlRequest.safeParse({ action: 'voicemail', text: 'x'.repeat(1_001) }).success).toBe(
      false,
    );
    expect(CallControlRequest.safeParse({ action: 'voicemail' }).success).toBe(false);
  });
});
