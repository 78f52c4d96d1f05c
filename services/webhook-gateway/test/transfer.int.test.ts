import { request } from '@switchboard/bus';
import {
  CallEndedError,
  CallNotFoundError,
  TWILIO_ENDPOINTS,
  TWILIO_REST_SERVICE_NAME,
  type TwilioCallTransferRequest,
} from '@switchboard/contracts';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT_SID,
  AUTH_TOKEN,
  eventually,
  type GatewayStack,
  MEDIA_STREAM_URL,
  newCallSid,
  PUBLIC_BASE_URL,
  postTwilio,
  startStack,
  voiceParams,
} from './support.js';

// DESIGN-10 §1 and §5: the gateway, the only holder of Twilio credentials, serves `twilio.call.transfer` for the
// worker (service `twilio-rest`), and Twilio's `<Dial action>` tells it how the transfer went.

const XML = '<?xml version="1.0" encoding="UTF-8"?>';

describe('transfers through the twilio-rest service and /twilio/dial-result', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());
  beforeEach(() => stack.twilio.reset());

  const transfer = (payload: TwilioCallTransferRequest) =>
    request(stack.nc, TWILIO_ENDPOINTS.callTransfer, payload, { timeoutMs: 10_000 });

  /** A call registered at the gateway and live at (fake) Twilio. */
  const liveCall = async () => {
    const callSid = newCallSid();
    await postTwilio(stack.gateway, '/twilio/voice', voiceParams(callSid));
    stack.twilio.addCall(callSid);
    return callSid;
  };

  it('is discoverable as twilio-rest', async () => {
    const info = (
      await stack.nc.request(`$SRV.INFO.${TWILIO_REST_SERVICE_NAME}`, '', { timeout: 2_000 })
    ).json<{
      name: string;
      endpoints: { subject: string }[];
    }>();
    expect(info.name).toBe(TWILIO_REST_SERVICE_NAME);
    expect(info.endpoints.map((e) => e.subject)).toEqual(['twilio.call.transfer']);
  });

  it('redirects the live call to <Dial> the target, its action the dial-result callback', async () => {
    const callSid = await liveCall();
    const reply = await transfer({ callSid, to: '+15550005555', target: 'front_desk', timeoutSeconds: 20 });
    expect(reply).toEqual({ callSid, status: 'in-progress' });
    const [update] = stack.twilio.updateRequests;
    expect(update).toMatchObject({
      path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${callSid}.json`,
      username: ACCOUNT_SID,
      password: AUTH_TOKEN,
      params: {
        Twiml:
          `${XML}<Response><Dial action="${PUBLIC_BASE_URL}/twilio/dial-result?target=front_desk" timeout="20">` +
          '<Number>+15550005555</Number></Dial></Response>',
      },
    });
    // A SIP target, and Twilio's own ring time when none is asked for; a number as the target is escaped.
    await transfer({ callSid, to: 'sip:desk@pbx.example.com', target: '+15550005555' });
    expect(stack.twilio.calls.get(callSid)?.twiml).toBe(
      `${XML}<Response><Dial action="${PUBLIC_BASE_URL}/twilio/dial-result?target=%2B15550005555" timeout="30">` +
        '<Sip>sip:desk@pbx.example.com</Sip></Dial></Response>',
    );
  });

  it('answers 404 for a call Twilio does not know, 409 for one no longer in progress, 502 for Twilio failing', async () => {
    await expect(transfer({ callSid: newCallSid(), to: '+15550005555', target: 't' })).rejects.toBeInstanceOf(
      CallNotFoundError,
    );
    const callSid = await liveCall();
    (stack.twilio.calls.get(callSid) as { status: string }).status = 'completed';
    const ended = await transfer({ callSid, to: '+15550005555', target: 't' }).catch((e: unknown) => e);
    expect(ended).toBeInstanceOf(CallEndedError);
    expect(ended).toMatchObject({ status: 409 });

    const live = await liveCall();
    stack.twilio.failNext({ status: 500, code: 20500, message: 'Internal Server Error' });
    await expect(transfer({ callSid: live, to: '+15550005555', target: 't' })).rejects.toMatchObject({
      code: 'TWILIO_ERROR',
      status: 502,
    });
    // A bad request never reaches Twilio.
    await expect(transfer({ callSid: live, to: '555', target: 't' })).rejects.toMatchObject({ status: 400 });
    expect(stack.twilio.updateRequests).toHaveLength(3);
  });

  it('answers 502 TWILIO_ERROR when the gateway has no Twilio credentials (nobody else may serve it)', async () => {
    const bare = await startStack({ TWILIO_ACCOUNT_SID: '' });
    try {
      await expect(
        request(bare.nc, TWILIO_ENDPOINTS.callTransfer, {
          callSid: newCallSid(),
          to: '+15550005555',
          target: 't',
        }),
      ).rejects.toMatchObject({ code: 'TWILIO_ERROR', status: 502 });
    } finally {
      await bare.close();
    }
  });

  const dialResult = (callSid: string, target: string, params: Record<string, string>) =>
    postTwilio(stack.gateway, `/twilio/dial-result?target=${encodeURIComponent(target)}`, {
      CallSid: callSid,
      AccountSid: ACCOUNT_SID,
      CallStatus: 'in-progress',
      ApiVersion: '2010-04-01',
      ...params,
    });

  it('brings the caller back to the agent when nobody answers or the line is busy, and says so in the transcript', async () => {
    for (const status of ['busy', 'no-answer', 'failed', 'canceled']) {
      const callSid = await liveCall();
      const dialCallSid = newCallSid();
      const res = await dialResult(callSid, 'front_desk', {
        DialCallStatus: status,
        DialCallSid: dialCallSid,
      });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(
        `${XML}<Response><Connect action="${PUBLIC_BASE_URL}/twilio/stream-ended">` +
          `<Stream url="${MEDIA_STREAM_URL}"><Parameter name="callSid" value="${callSid}"/>` +
          `<Parameter name="transferFailed" value="${status}"/><Parameter name="transferTarget" value="front_desk"/>` +
          '</Stream></Connect></Response>',
      );
      const transcript = await eventually(
        () => stack.client.callTranscript({ callSid }),
        (t) => t.segments.length > 0,
      );
      expect(transcript.segments).toEqual([
        { role: 'event', text: `transfer to front_desk failed: ${status}`, at: expect.any(String) },
      ]);
      expect((await stack.client.callBySid({ callSid })).status).not.toBe('completed');
    }
  });

  it('hangs up once the person the caller talked to is done, and completes the call', async () => {
    const callSid = await liveCall();
    const res = await dialResult(callSid, 'front_desk', {
      DialCallStatus: 'completed',
      DialCallSid: newCallSid(),
      DialCallDuration: '42',
    });
    expect(await res.text()).toBe(`${XML}<Response><Hangup/></Response>`);
    const call = await eventually(
      () => stack.client.callBySid({ callSid }),
      (c) => c.status === 'completed',
    );
    expect(call.endedAt).not.toBeNull();
    const transcript = await stack.client.callTranscript({ callSid });
    expect(transcript.segments.map((s) => s.text)).toEqual(['transfer to front_desk: answered, talked 42 s']);
  });

  it('refuses an unsigned dial result, and hangs up on one that makes no sense', async () => {
    const callSid = await liveCall();
    const forged = await postTwilio(
      stack.gateway,
      '/twilio/dial-result?target=front_desk',
      { CallSid: callSid, DialCallStatus: 'busy' },
      { authToken: 'not-the-token' },
    );
    expect(forged.status).toBe(403);
    const nonsense = await postTwilio(stack.gateway, '/twilio/dial-result', { CallSid: 'CA1' });
    expect(nonsense.status).toBe(200);
    expect(await nonsense.text()).toBe(`${XML}<Response><Hangup/></Response>`);
  });
});
