import { Call, type Transcript } from '@switchboard/contracts';
import {
  eventually,
  FAKE_OPENAI_API_KEY,
  FakeRealtimeServer,
  type FakeRealtimeSession,
  FakeTwilioRest,
  SILENCE_20MS,
  signedTwilioRequest,
  TwilioMediaClient,
} from '@switchboard/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Services, startServices } from './services.js';

// Issue 11, voicemail end to end: the three real services on a real nats-server (infra/nats's users) and
// PostgreSQL, the fake Twilio REST API (which places the call and sends Twilio's AMD callback, signed) and
// the fake OpenAI Realtime API. A machine that answers hears the agent stop and leave the message, then the
// call hangs up; `hangup` ends it through Twilio's REST API; a person notices nothing.

const AUTH_TOKEN = 'e2e-twilio-auth-token';
const API_KEY = 'e2e-api-key';
const ACCOUNT_SID = `AC${'5'.repeat(32)}`;
const FROM = '+15550001111';
const CALLEE = '+15557770000';
const MESSAGE = 'Hi, this is the clinic: your appointment is tomorrow at ten. Goodbye.';
const frames = (n: number) => Array.from({ length: n }, () => SILENCE_20MS);

let services: Services;
let twilio: FakeTwilioRest;
let realtime: FakeRealtimeServer;

beforeAll(async () => {
  twilio = await FakeTwilioRest.start({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
  // The greeting plays for half a second; anything after it (the message) for a fifth.
  realtime = await FakeRealtimeServer.start({
    response: (session) =>
      session.eventsOf('response.create').length <= 1
        ? { audio: frames(25), transcript: 'Hello! How can I help you today?' }
        : { audio: frames(10), transcript: MESSAGE },
  });
  services = await startServices({
    authToken: AUTH_TOKEN,
    apiKey: API_KEY,
    realtime: { url: realtime.url, apiKey: FAKE_OPENAI_API_KEY },
    env: {
      gateway: { TWILIO_ACCOUNT_SID: ACCOUNT_SID, TWILIO_API_BASE_URL: twilio.url, TWILIO_FROM_NUMBER: FROM },
    },
  });
}, 60_000);

afterAll(async () => {
  await services?.close();
  await realtime?.close();
  await twilio?.close();
});

beforeEach(() => twilio.reset());

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${services.publicBaseUrl}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
  });

const postTwilio = (path: string, params: Record<string, string>) =>
  fetch(
    `${services.publicBaseUrl}${path}`,
    signedTwilioRequest(AUTH_TOKEN, `${services.publicBaseUrl}${path}`, params),
  );

const callOf = async (callSid: string) => Call.parse(await (await api(`/api/calls/${callSid}`)).json());

/**
 * Places the call through the API, then does what Twilio does once the callee picks up: the call is in
 * progress, the voice webhook, the media stream it names; the agent greets.
 */
async function answeredCall(body: Record<string, unknown>): Promise<{
  callSid: string;
  media: TwilioMediaClient;
  session: FakeRealtimeSession;
}> {
  const placed = await api('/api/calls', { method: 'POST', body: JSON.stringify({ to: CALLEE, ...body }) });
  expect(placed.status).toBe(201);
  const { callSid } = (await placed.json()) as { callSid: string };
  const twilioCall = twilio.calls.get(callSid);
  if (twilioCall === undefined) throw new Error('Twilio was not asked to place the call');
  twilioCall.status = 'in-progress';
  const voice = await postTwilio('/twilio/voice', {
    CallSid: callSid,
    AccountSid: ACCOUNT_SID,
    From: FROM,
    To: CALLEE,
    Direction: 'outbound-api',
    CallStatus: 'in-progress',
  });
  expect(await voice.text()).toContain(`<Stream url="${services.mediaUrl}">`);
  const before = realtime.sessions.length;
  const media = await TwilioMediaClient.connect({ url: services.mediaUrl, authToken: AUTH_TOKEN });
  media.sendConnected();
  media.sendStart(callSid, { callSid });
  const session = await realtime.waitForSession(before + 1);
  await eventually(
    async () => session.eventsOf('response.create').length,
    (n) => n === 1,
  );
  return { callSid, media, session };
}

describe('voicemail detection on an outbound call', () => {
  it('leave-message: on the beep the agent stops, says the message, and the call hangs up', async () => {
    const { callSid, media, session } = await answeredCall({
      machineDetection: 'leave-message',
      voicemailMessage: MESSAGE,
    });
    const placement = twilio.createRequests[0]?.params;
    expect(placement).toMatchObject({ MachineDetection: 'DetectMessageEnd', AsyncAmd: 'true' });

    // The greeting is still playing when the machine's beep comes.
    const amd = await twilio.sendAmdResult(callSid, 'machine_end_beep', 4_100);
    expect(amd.status).toBe(204);
    const creates = await eventually(
      async () => session.eventsOf('response.create'),
      (c) => c.length === 2,
    );
    expect(creates[1]?.response?.instructions).toMatch(new RegExp(`nothing else: ${MESSAGE}$`));
    expect(creates[1]?.response?.tool_choice).toBe('none');
    expect(media.received.some((m) => m.event === 'clear')).toBe(true);

    // The message plays; then the worker ends the stream as the agent ending the call does.
    const closed = await media.closed;
    expect(closed.code).toBe(1000);
    const ended = await postTwilio('/twilio/stream-ended', { CallSid: callSid, AccountSid: ACCOUNT_SID });
    expect(await ended.text()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>');
    const call = await eventually(
      () => callOf(callSid),
      (c) => c.endedReason === 'agent-ended' && c.answeredBy === 'machine_end_beep',
    );
    expect(call).toMatchObject({
      status: 'completed',
      answeredBy: 'machine_end_beep',
      endedReason: 'agent-ended',
    });
    const transcript = (await (await api(`/api/calls/${callSid}/transcript`)).json()) as Transcript;
    expect(transcript.segments.at(-1)).toMatchObject({ role: 'agent', text: MESSAGE });
  }, 30_000);

  it('hangup: on a machine Twilio ends the call through its REST API', async () => {
    const { callSid, media } = await answeredCall({ machineDetection: 'hangup' });
    expect(twilio.createRequests[0]?.params).toMatchObject({ MachineDetection: 'Enable', AsyncAmd: 'true' });
    expect((await twilio.sendAmdResult(callSid, 'machine_start')).status).toBe(204);
    expect(twilio.calls.get(callSid)?.status).toBe('completed');
    // Twilio then stops the stream.
    media.sendStop(callSid);
    await media.closed;
    await eventually(
      () => callOf(callSid),
      (c) => c.status === 'completed' && c.answeredBy === 'machine_start',
    );
  }, 30_000);

  it('a person answering: nothing changes, the agent goes on', async () => {
    const { callSid, media, session } = await answeredCall({
      machineDetection: 'leave-message',
      voicemailMessage: MESSAGE,
    });
    expect((await twilio.sendAmdResult(callSid, 'human', 900)).status).toBe(204);
    await eventually(
      () => callOf(callSid),
      (c) => c.answeredBy === 'human',
    );
    // The call is still the agent's: live control reaches it, and no message was asked for.
    const say = await api(`/api/calls/${callSid}/say`, {
      method: 'POST',
      body: JSON.stringify({ text: 'Still here.' }),
    });
    expect(say.status).toBe(202);
    const creates = await eventually(
      async () => session.eventsOf('response.create'),
      (c) => c.length === 2,
    );
    expect(creates.map((c) => c.response?.instructions ?? '').join('\n')).not.toContain(MESSAGE);
    expect(twilio.updateRequests).toEqual([]);
    media.sendStop(callSid);
    await media.closed;
  }, 30_000);
});
