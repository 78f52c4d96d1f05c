import { StatusEvent } from '@switchboard/contracts';
import { describe, expect, it } from 'vitest';
import {
  callCreateFromVoice,
  isoFromTwilioTime,
  StatusCallbackParams,
  statusEventFromCallback,
  statusMessageId,
  VoiceWebhookParams,
} from '../src/twilio-params.js';

const SID = `CA${'0123456789abcdef'.repeat(2)}`;
const NOW = new Date('2026-11-27T10:00:00.000Z');

describe('voice webhook params', () => {
  it('an inbound call becomes an inbound call.create with its status', () => {
    const params = VoiceWebhookParams.parse({
      CallSid: SID,
      AccountSid: `AC${'1'.repeat(32)}`,
      From: '+15551230000',
      To: '+15559870000',
      Direction: 'inbound',
      CallStatus: 'ringing',
      ApiVersion: '2010-04-01',
    });
    expect(callCreateFromVoice(params)).toEqual({
      callSid: SID,
      direction: 'inbound',
      from: '+15551230000',
      to: '+15559870000',
      status: 'ringing',
    });
  });

  it('outbound-api is outbound, with our number as From and the callee as To', () => {
    const params = VoiceWebhookParams.parse({
      CallSid: SID,
      From: '+15550001111',
      To: '+15552223333',
      Direction: 'outbound-api',
      CallStatus: 'in-progress',
    });
    expect(callCreateFromVoice(params)).toMatchObject({
      direction: 'outbound',
      from: '+15550001111',
      to: '+15552223333',
      status: 'in-progress',
    });
  });

  it('a withheld caller id is anonymous; an unknown status is left to the registry', () => {
    const params = VoiceWebhookParams.parse({
      CallSid: SID,
      From: '',
      To: '+15559870000',
      CallStatus: 'weird',
    });
    const create = callCreateFromVoice(params);
    expect(create).toMatchObject({ from: 'anonymous', direction: 'inbound' });
    expect(create).not.toHaveProperty('status');
  });

  it('refuses a malformed CallSid or a missing To', () => {
    expect(VoiceWebhookParams.safeParse({ CallSid: 'CA123', To: '+15559870000' }).success).toBe(false);
    expect(VoiceWebhookParams.safeParse({ CallSid: SID }).success).toBe(false);
  });
});

describe('status callback params', () => {
  const callback = {
    CallSid: SID,
    CallStatus: 'completed',
    SequenceNumber: '3',
    Timestamp: 'Fri, 27 Nov 2026 10:00:05 +0000',
    CallDuration: '42',
    AnsweredBy: 'human',
    CallbackSource: 'call-progress-events',
  };

  it("become a status event with Twilio's time in ISO", () => {
    const event = statusEventFromCallback(StatusCallbackParams.parse(callback), NOW);
    expect(event).toEqual({
      kind: 'status',
      callSid: SID,
      status: 'completed',
      at: '2026-11-27T10:00:05.000Z',
      sequenceNumber: 3,
      durationSeconds: 42,
      answeredBy: 'human',
    });
    expect(StatusEvent.parse(event)).toEqual(event);
  });

  it('without a Timestamp, the event happened now', () => {
    const event = statusEventFromCallback(
      StatusCallbackParams.parse({ CallSid: SID, CallStatus: 'ringing' }),
      NOW,
    );
    expect(event).toEqual({ kind: 'status', callSid: SID, status: 'ringing', at: NOW.toISOString() });
  });

  it('the message id is the same for a retry of one callback and differs between callbacks', () => {
    const a = statusMessageId(StatusCallbackParams.parse(callback));
    expect(statusMessageId(StatusCallbackParams.parse({ ...callback }))).toBe(a);
    expect(statusMessageId(StatusCallbackParams.parse({ ...callback, SequenceNumber: '4' }))).not.toBe(a);
    expect(statusMessageId(StatusCallbackParams.parse({ ...callback, CallStatus: 'busy' }))).not.toBe(a);
    const noSeq = { CallSid: SID, CallStatus: 'ringing', Timestamp: 'Fri, 27 Nov 2026 10:00:01 +0000' };
    expect(statusMessageId(StatusCallbackParams.parse(noSeq))).toBe(
      `status.${SID}.ringing.ts-2026-11-27T10:00:01.000Z`,
    );
  });

  it('refuses unknown statuses and non-numeric sequence numbers', () => {
    expect(StatusCallbackParams.safeParse({ ...callback, CallStatus: 'answered' }).success).toBe(false);
    expect(StatusCallbackParams.safeParse({ ...callback, SequenceNumber: 'x' }).success).toBe(false);
  });

  it('reads RFC 2822 and ISO times, and falls back on unreadable ones', () => {
    expect(isoFromTwilioTime('Mon, 16 Aug 2010 03:45:01 +0000', NOW)).toBe('2010-08-16T03:45:01.000Z');
    expect(isoFromTwilioTime('2010-08-16T03:45:01Z', NOW)).toBe('2010-08-16T03:45:01.000Z');
    expect(isoFromTwilioTime('yesterday', NOW)).toBe(NOW.toISOString());
    expect(isoFromTwilioTime(undefined, NOW)).toBe(NOW.toISOString());
  });
});
