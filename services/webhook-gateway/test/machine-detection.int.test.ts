import { VOICEMAIL_MESSAGE_MAX_LENGTH } from '@switchboard/contracts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT_SID,
  api,
  errorOf,
  eventually,
  type GatewayStack,
  newCallSid,
  PUBLIC_BASE_URL,
  postTwilio,
  startStack,
} from './support.js';

// Issue 11, voicemail: POST /api/calls asks Twilio for asynchronous answering machine detection, and Twilio's
// AMD callback (sent by the fake as Twilio sends it, signed) records who answered and, on a machine, hangs up
// or has the message left. Here no worker holds the stream: leave-message falls back to Twilio's <Say>. The
// worker's side is test/e2e/voicemail.int.test.ts.

const CALLEE = '+15557770000';
const MESSAGE = 'Your prescription is ready for pickup.';
const XML = '<?xml version="1.0" encoding="UTF-8"?>';

describe('answering machine detection', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());
  beforeEach(() => {
    stack.twilio.reset();
    stack.twilio.webhooks.reach(PUBLIC_BASE_URL, stack.gateway.url);
  });

  /** An outbound call placed with `body`, answered at (fake) Twilio. */
  const place = async (body: Record<string, unknown>) => {
    const res = await api(stack.gateway, '/api/calls', {
      method: 'POST',
      body: JSON.stringify({ to: CALLEE, ...body }),
    });
    expect(res.status).toBe(201);
    const { callSid } = (await res.json()) as { callSid: string };
    const call = stack.twilio.calls.get(callSid);
    if (call === undefined) throw new Error('the fake has no such call');
    call.status = 'in-progress';
    return { callSid, call };
  };

  it('off by default: Twilio is asked for no detection', async () => {
    await place({});
    const params = stack.twilio.createRequests[0]?.params ?? {};
    expect(Object.keys(params).filter((k) => /MachineDetection|Amd/.test(k))).toEqual([]);
  });

  it('hangup: asynchronous detection as soon as Twilio can tell; on a machine the call is hung up', async () => {
    const { callSid, call } = await place({ machineDetection: 'hangup' });
    expect(stack.twilio.createRequests[0]?.params).toMatchObject({
      MachineDetection: 'Enable',
      AsyncAmd: 'true',
      AsyncAmdStatusCallback: `${PUBLIC_BASE_URL}/twilio/amd`,
      AsyncAmdStatusCallbackMethod: 'POST',
    });
    const delivered = await stack.twilio.sendAmdResult(callSid, 'machine_start', 1800);
    expect(delivered.status).toBe(204);
    expect(call.status).toBe('completed');
    expect(stack.twilio.updateRequests.at(-1)).toMatchObject({
      path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${callSid}.json`,
      params: { Status: 'completed' },
    });
    await eventually(
      () => stack.client.callBySid({ callSid }),
      (c) => c.answeredBy === 'machine_start',
    );
  });

  it('leave-message: detection waits for the end of the greeting; with no worker holding the stream Twilio says the message', async () => {
    const { callSid, call } = await place({ machineDetection: 'leave-message', voicemailMessage: MESSAGE });
    expect(stack.twilio.createRequests[0]?.params).toMatchObject({
      MachineDetection: 'DetectMessageEnd',
      AsyncAmd: 'true',
      AsyncAmdStatusCallback: `${PUBLIC_BASE_URL}/twilio/amd`,
    });
    expect((await stack.twilio.sendAmdResult(callSid, 'machine_end_beep')).status).toBe(204);
    expect(call.twiml).toBe(`${XML}<Response><Say>${MESSAGE}</Say><Hangup/></Response>`);
    await eventually(
      () => stack.client.callBySid({ callSid }),
      (c) => c.answeredBy === 'machine_end_beep',
    );
  });

  it('a fax is hung up on whatever was asked: nobody hears a message', async () => {
    const { callSid, call } = await place({ machineDetection: 'leave-message', voicemailMessage: MESSAGE });
    await stack.twilio.sendAmdResult(callSid, 'fax');
    expect(call.status).toBe('completed');
  });

  it.each(['human', 'unknown'])('%s: nothing changes for the call, who answered is recorded', async (who) => {
    const { callSid, call } = await place({ machineDetection: 'leave-message', voicemailMessage: MESSAGE });
    expect((await stack.twilio.sendAmdResult(callSid, who)).status).toBe(204);
    expect(stack.twilio.updateRequests).toEqual([]);
    expect(call.status).toBe('in-progress');
    await eventually(
      () => stack.client.callBySid({ callSid }),
      (c) => c.answeredBy === who,
    );
  });

  const LONG = 'x'.repeat(VOICEMAIL_MESSAGE_MAX_LENGTH + 1);
  it.each([
    [
      'leave-message without a message',
      { machineDetection: 'leave-message' },
      'voicemailMessage',
      /is required with machineDetection "leave-message"/,
    ],
    [
      'a message with hangup',
      { machineDetection: 'hangup', voicemailMessage: MESSAGE },
      'voicemailMessage',
      /only used with/,
    ],
    ['a message without detection', { voicemailMessage: MESSAGE }, 'voicemailMessage', /only used with/],
    [
      'a message too long',
      { machineDetection: 'leave-message', voicemailMessage: LONG },
      'voicemailMessage',
      /at most 1000 characters/,
    ],
    [
      'a blank message',
      { machineDetection: 'leave-message', voicemailMessage: '   ' },
      'voicemailMessage',
      /must not be empty/,
    ],
    [
      'a message with NUL',
      { machineDetection: 'leave-message', voicemailMessage: 'a\u0000b' },
      'voicemailMessage',
      /control/,
    ],
    ['an unknown mode', { machineDetection: 'maybe' }, 'machineDetection', /off|hangup|leave-message/],
    ['a mode that is not a string', { machineDetection: true }, 'machineDetection', /./],
  ])('400 for %s, naming the field, and nothing is dialled', async (_what, body, field, message) => {
    const res = await api(stack.gateway, '/api/calls', {
      method: 'POST',
      body: JSON.stringify({ to: CALLEE, ...body }),
    });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.details).toContainEqual({ path: [field], message: expect.stringMatching(message) });
    expect(stack.twilio.createRequests).toEqual([]);
  });

  it('refuses unsigned AMD callbacks and ones that are not, changing nothing', async () => {
    const { callSid, call } = await place({ machineDetection: 'hangup' });
    const params = { AccountSid: ACCOUNT_SID, CallSid: callSid, AnsweredBy: 'machine_start' };
    expect((await postTwilio(stack.gateway, '/twilio/amd', params, { authToken: 'wrong' })).status).toBe(403);
    expect((await postTwilio(stack.gateway, '/twilio/amd', { ...params, CallSid: 'CA1' })).status).toBe(400);
    expect(
      (await postTwilio(stack.gateway, '/twilio/amd', { AccountSid: ACCOUNT_SID, CallSid: callSid })).status,
    ).toBe(400);
    expect(
      (await postTwilio(stack.gateway, '/twilio/amd', { ...params, MachineDetectionDuration: 'soon' }))
        .status,
    ).toBe(400);
    expect(call.status).toBe('in-progress');
    expect((await stack.client.callBySid({ callSid })).answeredBy).toBeNull();
  });

  it('a result for a call placed without detection is recorded and otherwise ignored', async () => {
    const { callSid, call } = await place({});
    const res = await postTwilio(stack.gateway, '/twilio/amd', {
      AccountSid: ACCOUNT_SID,
      CallSid: callSid,
      AnsweredBy: 'machine_end_silence',
    });
    expect(res.status).toBe(204);
    expect(call.status).toBe('in-progress');
    const unknown = newCallSid();
    // Twilio only sends results for its calls; one the registry does not know changes nothing either.
    expect(
      (await postTwilio(stack.gateway, '/twilio/amd', { CallSid: unknown, AnsweredBy: 'machine_start' }))
        .status,
    ).toBe(204);
  });
});
