import { randomBytes } from 'node:crypto';
import { type Agent, Call, CallEvent, eventSubject } from '@switchboard/contracts';
import { metricValue } from '@switchboard/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT_SID,
  API_KEY,
  AUTH_TOKEN,
  api,
  errorOf,
  eventually,
  type GatewayStack,
  newCallSid,
  PUBLIC_BASE_URL,
  postTwilio,
  startStack,
  voiceParams,
} from './support.js';

// Issue 11, recordings: a call whose agent has `record` gets a dual-channel recording through Twilio's REST API
// once it is in progress; Twilio's recording status callbacks (the fake sends them as Twilio does, signed)
// become events the registry stores; the API streams the audio from Twilio and deletes it there and here.

const RECORDER: Agent = {
  id: 'recorder',
  phoneNumber: '+15550004444',
  instructions: 'You help.',
  voice: 'alloy',
  model: 'gpt-realtime',
  record: true,
};
/** Enough audio for several of the fake's 16 KiB chunks. */
const MEDIA = Buffer.concat([Buffer.from('RIFF'), randomBytes(100_000)]);

describe('recordings', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await startStack();
    await stack.client.agentPut({ agent: RECORDER });
    await stack.client.agentPut({
      agent: { ...RECORDER, id: 'plain', phoneNumber: '+15550005555', record: false },
    });
  });
  afterAll(() => stack?.close());
  beforeEach(() => {
    stack.twilio.reset();
    stack.twilio.webhooks.reach(PUBLIC_BASE_URL, stack.gateway.url);
  });

  /** An inbound call to `to`, ringing at Twilio until `answer()`; its voice webhook answered. */
  const inboundCall = async (to: string) => {
    const callSid = newCallSid();
    const twilioCall = stack.twilio.addCall(callSid, { to, status: 'ringing' });
    const voice = await postTwilio(stack.gateway, '/twilio/voice', voiceParams(callSid, { To: to }));
    expect(voice.status).toBe(200);
    expect(await voice.text()).toContain('<Connect');
    return {
      callSid,
      answer: () => {
        twilioCall.status = 'in-progress';
      },
    };
  };

  const recordingOf = async (callSid: string) => {
    const recording = await eventually(
      async () => [...stack.twilio.recordings.values()].find((r) => r.callSid === callSid),
      (r) => r !== undefined,
    );
    if (recording === undefined) throw new Error('no recording');
    return recording;
  };

  it('starts a dual-channel recording once Twilio has the call in progress, and stores what Twilio reports', async () => {
    const { callSid, answer } = await inboundCall(RECORDER.phoneNumber as string);
    // Twilio refuses while the call still rings (21220); the gateway asks again.
    await eventually(
      async () => stack.twilio.recordingRequests.length,
      (n) => n >= 1,
    );
    expect(stack.twilio.recordings.size).toBe(0);
    answer();
    const recording = await recordingOf(callSid);
    expect(stack.twilio.recordingRequests.at(-1)).toMatchObject({
      path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${callSid}/Recordings.json`,
      username: ACCOUNT_SID,
      password: AUTH_TOKEN,
      params: {
        RecordingChannels: 'dual',
        RecordingStatusCallback: `${PUBLIC_BASE_URL}/twilio/recording`,
        RecordingStatusCallbackMethod: 'POST',
        RecordingStatusCallbackEvent: ['in-progress', 'completed', 'absent'],
      },
    });
    // The in-progress callback was taken; the call has no recording until it is completed.
    await eventually(
      async () => stack.twilio.webhooks.delivered.map((d) => d.status),
      (statuses) => statuses.length === 1,
    );
    expect(stack.twilio.webhooks.delivered[0]).toMatchObject({
      url: `${PUBLIC_BASE_URL}/twilio/recording`,
      params: { RecordingStatus: 'in-progress', RecordingSid: recording.sid, RecordingDuration: '-1' },
      status: 204,
    });
    expect((await stack.client.callBySid({ callSid })).recording).toBeNull();

    const completed = await stack.twilio.completeRecording(recording.sid, {
      durationSeconds: 42,
      media: MEDIA,
    });
    expect(completed?.status).toBe(204);
    const call = await eventually(
      async () => Call.parse(await (await api(stack.gateway, `/api/calls/${callSid}`)).json()),
      (c) => c.recording !== null,
    );
    expect(call.recording).toEqual({ sid: recording.sid, durationSeconds: 42, channels: 2 });
  });

  it('GET streams the audio Twilio serves, fetched with the account credentials; DELETE deletes it at Twilio and here', async () => {
    const { callSid, answer } = await inboundCall(RECORDER.phoneNumber as string);
    answer();
    const recording = await recordingOf(callSid);
    await stack.twilio.completeRecording(recording.sid, { durationSeconds: 3, media: MEDIA });
    await eventually(
      () => stack.client.callBySid({ callSid }),
      (c) => c.recording !== null,
    );

    // Twilio serves the first 16 KiB, then waits: the client has them meanwhile (streamed, not buffered).
    const release = stack.twilio.holdMedia();
    const res = await api(stack.gateway, `/api/calls/${callSid}/recording`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('audio/x-wav');
    expect(res.headers.get('content-length')).toBe(String(MEDIA.length));
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const chunks: Uint8Array[] = [];
    let received = 0;
    while (received < 16 * 1024) {
      const { value, done } = await reader.read();
      if (done || value === undefined) throw new Error('the audio ended early');
      chunks.push(value);
      received += value.length;
    }
    expect(received).toBeLessThan(MEDIA.length);
    release();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
    }
    expect(Buffer.concat(chunks).equals(MEDIA)).toBe(true);
    const fetched = stack.twilio.requests.filter((r) => r.method === 'GET' && r.path.endsWith('.wav'));
    expect(fetched).toEqual([
      expect.objectContaining({
        path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${recording.sid}.wav`,
        username: ACCOUNT_SID,
        password: AUTH_TOKEN,
      }),
    ]);
    const mp3 = await api(stack.gateway, `/api/calls/${callSid}/recording?format=mp3`);
    expect(mp3.headers.get('content-type')).toBe('audio/mpeg');
    expect(Buffer.from(await mp3.arrayBuffer()).equals(MEDIA)).toBe(true);
    // Without the API key, nothing.
    expect((await api(stack.gateway, `/api/calls/${callSid}/recording`, {}, `${API_KEY}x`)).status).toBe(401);

    const deleted = await api(stack.gateway, `/api/calls/${callSid}/recording`, { method: 'DELETE' });
    expect(deleted.status).toBe(204);
    expect(stack.twilio.requests.filter((r) => r.method === 'DELETE')).toEqual([
      expect.objectContaining({
        path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${recording.sid}.json`,
        username: ACCOUNT_SID,
      }),
    ]);
    expect(stack.twilio.recordings.has(recording.sid)).toBe(false);
    await eventually(
      () => stack.client.callBySid({ callSid }),
      (c) => c.recording === null,
    );
    const gone = await api(stack.gateway, `/api/calls/${callSid}/recording`);
    expect(gone.status).toBe(404);
    expect(await errorOf(gone)).toMatchObject({ code: 'RECORDING_NOT_FOUND' });
    const again = await api(stack.gateway, `/api/calls/${callSid}/recording`, { method: 'DELETE' });
    expect(again.status).toBe(404);
  });

  it('an agent without record: no recording is asked for; such a call has none to GET', async () => {
    const { callSid, answer } = await inboundCall('+15550005555');
    answer();
    const res = await api(stack.gateway, `/api/calls/${callSid}/recording`);
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toMatchObject({ code: 'RECORDING_NOT_FOUND' });
    expect(stack.twilio.recordingRequests).toEqual([]);
    expect((await api(stack.gateway, `/api/calls/${newCallSid()}/recording`)).status).toBe(404);
    expect((await api(stack.gateway, '/api/calls/nope/recording')).status).toBe(400);
    expect((await api(stack.gateway, `/api/calls/${callSid}/recording?format=ogg`)).status).toBe(400);
  });

  it('a recording Twilio never starts is logged, counted and stored as start-failed; the call goes on', async () => {
    const quick = await stack.startGateway({ RECORDING_START_BUDGET_MS: '500' });
    const callSid = newCallSid();
    // The event as JetStream takes it (a core subscription sees what is published to the stream).
    const subscription = stack.nc.subscribe(eventSubject(callSid, 'recording'), { max: 1 });
    const stored = (async () => {
      const events: CallEvent[] = [];
      for await (const msg of subscription) events.push(CallEvent.parse(msg.json()));
      return events;
    })();
    stack.twilio.addCall(callSid, { to: RECORDER.phoneNumber as string, status: 'ringing' });
    const voice = await postTwilio(
      quick,
      '/twilio/voice',
      voiceParams(callSid, { To: RECORDER.phoneNumber as string }),
    );
    expect(await voice.text()).toContain('<Connect');
    const failed = await eventually(
      async () =>
        metricValue(await (await fetch(`${quick.url}/metrics`)).text(), 'gateway_recording_starts_total', {
          outcome: 'failed',
        }),
      (v) => v === 1,
    );
    expect(failed).toBe(1);
    expect(stack.twilio.recordingRequests.length).toBeGreaterThan(1);
    const [event] = await stored;
    expect(event).toMatchObject({
      kind: 'recording',
      callSid,
      status: 'start-failed',
      detail: expect.stringMatching(/^Twilio did not start the recording after \d+ attempts: .*in progress/),
    });
    expect((await stack.client.callBySid({ callSid })).status).toBe('ringing');
  });

  it('a caller who hangs up before the recording could start is no failure', async () => {
    const quick = await stack.startGateway({ RECORDING_START_BUDGET_MS: '300' });
    const callSid = newCallSid();
    const to = RECORDER.phoneNumber as string;
    stack.twilio.addCall(callSid, { to, status: 'completed' });
    // Twilio's last status callback is in before the call is registered: the registry has it completed.
    const status = await postTwilio(quick, '/twilio/status', {
      CallSid: callSid,
      AccountSid: ACCOUNT_SID,
      CallStatus: 'completed',
      SequenceNumber: '3',
    });
    expect(status.status).toBe(204);
    await postTwilio(quick, '/twilio/voice', voiceParams(callSid, { To: to }));
    const metrics = async () => (await (await fetch(`${quick.url}/metrics`)).text()) as string;
    await eventually(
      async () => metricValue(await metrics(), 'gateway_recording_starts_total', { outcome: 'call-ended' }),
      (v) => v === 1,
    );
    expect(
      metricValue(await metrics(), 'gateway_recording_starts_total', { outcome: 'failed' }),
    ).toBeUndefined();
  });

  it('refuses unsigned callbacks and ones that are not recording status callbacks, storing nothing', async () => {
    const params = {
      AccountSid: ACCOUNT_SID,
      CallSid: newCallSid(),
      RecordingSid: `RE${'a'.repeat(32)}`,
      RecordingStatus: 'completed',
      RecordingDuration: '3',
      RecordingChannels: '2',
    };
    const forged = await postTwilio(stack.gateway, '/twilio/recording', params, { authToken: 'wrong' });
    expect(forged.status).toBe(403);
    for (const bad of [
      { ...params, RecordingSid: 'RE123' },
      { ...params, RecordingStatus: 'exploded' },
      { ...params, RecordingChannels: '3' },
      { ...params, CallSid: undefined },
    ]) {
      const res = await postTwilio(
        stack.gateway,
        '/twilio/recording',
        Object.fromEntries(Object.entries(bad).filter(([, v]) => v !== undefined)) as Record<string, string>,
      );
      expect(res.status).toBe(400);
      expect(await errorOf(res)).toMatchObject({ code: 'INVALID_REQUEST' });
    }
  });
});
