import { TwilioMediaClient, twilioSignature, UpgradeRefusedError } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REALTIME_FAILURE_BUDGET } from '../src/bridge/realtime-sessions.js';
import {
  AUTH_TOKEN,
  frames,
  lastEvent,
  newCallSid,
  PUBLIC_MEDIA_URL,
  type Stack,
  startStack,
  until,
} from './support.js';

async function refusal(promise: Promise<unknown>): Promise<number | undefined> {
  try {
    await promise;
    return undefined;
  } catch (err) {
    return err instanceof UpgradeRefusedError ? err.status : -1;
  }
}

describe('media stream faults', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  it('refuses an upgrade without a valid X-Twilio-Signature with 403', async () => {
    const url = stack.mediaUrl;
    expect(await refusal(TwilioMediaClient.connect({ url }))).toBe(403);
    expect(
      await refusal(
        TwilioMediaClient.connect({ url, authToken: 'wrong-token', signedUrl: PUBLIC_MEDIA_URL }),
      ),
    ).toBe(403);
    const forOtherUrl = twilioSignature(AUTH_TOKEN, 'wss://elsewhere.example.com/media-stream');
    expect(await refusal(TwilioMediaClient.connect({ url, signature: forOtherUrl }))).toBe(403);
    const elsewhere = url.replace('/media-stream', '/other');
    expect(
      await refusal(
        TwilioMediaClient.connect({ url: elsewhere, authToken: AUTH_TOKEN, signedUrl: PUBLIC_MEDIA_URL }),
      ),
    ).toBe(404);
  });

  it('ignores garbage frames, unknown events and media before start, and keeps the stream running', async () => {
    const callSid = await stack.newCall();
    const twilio = await TwilioMediaClient.connect({
      url: stack.mediaUrl,
      authToken: AUTH_TOKEN,
      signedUrl: PUBLIC_MEDIA_URL,
    });
    twilio.sendConnected();
    for (const frame of frames(3, 90)) twilio.sendMedia(frame);
    const before = stack.fake.sessions.length;
    twilio.sendStart(callSid);
    const session = await stack.fake.waitForSession(before + 1);
    twilio.sendRaw('this is not JSON');
    twilio.sendRaw('[1,2,3]');
    twilio.sendRaw('{"event":"pause","streamSid":"MZ00"}');
    twilio.sendRaw('{"event":"media","media":{"payload":"not base64!","timestamp":"1"}}');
    twilio.sendRaw('{"event":"media"}');
    twilio.sendRaw('{"event":"start"}');
    twilio.sendRaw('{"event":"dtmf","dtmf":{"digit":"x"}}');
    for (const frame of frames(5)) twilio.sendMedia(frame);
    await until(() => session.audio.length >= 5, 'the valid frames');
    expect(session.audio).toEqual(frames(5));
    expect(twilio.isOpen).toBe(true);
    twilio.sendStop(callSid);
    expect((await twilio.closed).code).toBe(1000);
  });

  it('closes the stream of an unknown callSid with a clear reason, and its Realtime socket', async () => {
    const { twilio, session } = await stack.call(newCallSid());
    expect(await twilio.closed).toEqual({ code: 4404, reason: 'unknown callSid' });
    await until(() => session.closed, 'the Realtime socket to close');
  });

  it('closes a stream whose callSid parameter does not match its call', async () => {
    const callSid = await stack.newCall();
    const twilio = await TwilioMediaClient.connect({
      url: stack.mediaUrl,
      authToken: AUTH_TOKEN,
      signedUrl: PUBLIC_MEDIA_URL,
    });
    twilio.sendStart(callSid, { callSid: newCallSid() });
    expect(await twilio.closed).toEqual({
      code: 4400,
      reason: 'the callSid parameter does not match the call of the stream',
    });
  });

  it('dials a new session when the Realtime socket drops, without losing caller audio or the conversation', async () => {
    const callSid = await stack.newCall();
    const { twilio, session: first } = await stack.call(callSid);
    await until(() => first.config !== undefined, 'the session to be configured');
    await twilio.waitFor(() => twilio.echoed.length > 0, 5_000, 'the greeting to play');
    for (const frame of frames(10)) twilio.sendMedia(frame);
    await until(() => first.audio.length === 10, 'the first frames');
    const before = stack.fake.sessions.length;
    first.drop();
    for (const frame of frames(10, 10)) twilio.sendMedia(frame);
    const second = await stack.fake.waitForSession(before + 1);
    // The new session gets the frames the lost one may not have heard, then those held while it opened.
    await until(() => second.audio.length === 20, 'the frames sent while reconnecting');
    expect(second.audio).toEqual(frames(20));
    expect(second.config).toEqual(first.config);
    expect(second.eventsOf('response.create')).toEqual([]); // no second greeting
    // …and what was said so far, the greeting included.
    const seeded = second.eventsOf('conversation.item.create').map((e) => e.item);
    expect(seeded.at(-1)).toEqual({
      type: 'message',
      role: 'assistant',
      content: [{ type: 'output_text', text: 'Hello! How can I help you today?' }],
    });
    expect(twilio.isOpen).toBe(true);
    const segments = await stack.transcript(callSid, 2);
    expect(segments.map((s) => s.role)).toEqual(['agent', 'event']);
    expect(segments[1]?.text).toMatch(/^the call moved to a new Realtime session: the previous one closed/);
    twilio.sendStop(callSid);
    await twilio.closed;
  });

  it(`ends the call when ${REALTIME_FAILURE_BUDGET} sockets in a row fail after a drop`, async () => {
    const callSid = await stack.newCall();
    const { twilio, session } = await stack.call(callSid);
    await until(() => session.config !== undefined, 'the session to be configured');
    const refusedBefore = stack.fake.refused.length;
    stack.fake.refuseConnections(503);
    try {
      session.drop();
      expect((await twilio.closed).code).toBe(1000);
      expect(stack.fake.refused.length - refusedBefore).toBe(REALTIME_FAILURE_BUDGET);
      expect(await lastEvent(stack.nc, callSid, 'ended')).toMatchObject({ reason: 'realtime-failed' });
    } finally {
      stack.fake.refuseConnections(false);
    }
  });

  it('ends the call when the Realtime API refuses every dial', async () => {
    const callSid = await stack.newCall();
    stack.fake.refuseConnections(503);
    try {
      const refusedBefore = stack.fake.refused.length;
      const twilio = await stack.stream(callSid);
      expect((await twilio.closed).code).toBe(1000);
      expect(stack.fake.refused.length - refusedBefore).toBe(REALTIME_FAILURE_BUDGET + 1);
      expect(await lastEvent(stack.nc, callSid, 'ended')).toMatchObject({ reason: 'realtime-failed' });
    } finally {
      stack.fake.refuseConnections(false);
    }
  });

  it('lets a second stream for the same call replace the first', async () => {
    const callSid = await stack.newCall();
    const { twilio: first } = await stack.call(callSid);
    const { twilio: second, session } = await stack.call(callSid);
    expect((await first.closed).code).toBe(4409);
    second.sendMedia(frames(1)[0] as string);
    await until(() => session.audio.length === 1, 'audio on the new stream');
    second.sendStop(callSid);
    await second.closed;
  });

  it('dials again with the agent’s own model when it is not the default one', async () => {
    await stack.upsertAgent({
      id: 'concierge',
      instructions: 'You are the hotel concierge.',
      voice: 'verse',
      model: 'gpt-realtime-mini',
      greeting: null,
    });
    const callSid = await stack.newCall('concierge');
    const before = stack.fake.sessions.length;
    const twilio = await stack.stream(callSid);
    await until(
      () => stack.fake.sessions.some((s, i) => i >= before && s.config !== undefined),
      'a configured session',
    );
    const dialled = stack.fake.sessions.slice(before);
    const configured = dialled.filter((s) => s.config !== undefined);
    expect(configured.map((s) => s.model)).toEqual(['gpt-realtime-mini']);
    expect(configured[0]?.config).toMatchObject({
      instructions: 'You are the hotel concierge.',
      audio: { output: { voice: 'verse' } },
    });
    expect(configured[0]?.eventsOf('response.create')).toEqual([]);
    await until(
      () => dialled.every((s) => s.config !== undefined || s.closed),
      'the default-model socket to close',
    );
    twilio.sendStop(callSid);
    await twilio.closed;
  });

  it('closes the stream when the registry cannot be reached, after one retry', async () => {
    await stack.registry.close();
    const callSid = newCallSid();
    const twilio = await stack.stream(callSid);
    expect((await twilio.closed).code).toBe(1011);
    await until(() => stack.worker.liveStreams === 0, 'the stream to be gone');
  });
});

describe('deadlines', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ REALTIME_CONNECT_TIMEOUT_MS: '300', STREAM_START_TIMEOUT_MS: '300' });
  });
  afterAll(() => stack?.close());

  it('closes a stream that sends no start within STREAM_START_TIMEOUT_MS', async () => {
    const twilio = await TwilioMediaClient.connect({
      url: stack.mediaUrl,
      authToken: AUTH_TOKEN,
      signedUrl: PUBLIC_MEDIA_URL,
    });
    twilio.sendConnected();
    expect(await twilio.closed).toEqual({ code: 4408, reason: 'no start message in time' });
    await until(() => stack.worker.liveStreams === 0, 'the stream to be gone');
  });

  it('gives up on Realtime sessions that never confirm their configuration, then ends the call', async () => {
    stack.fake.stallSessionUpdates(true);
    const callSid = await stack.newCall();
    const before = stack.fake.sessions.length;
    const twilio = await stack.stream(callSid);
    expect((await twilio.closed).code).toBe(1000);
    const dialled = stack.fake.sessions.slice(before);
    expect(dialled.map((s) => s.eventsOf('session.update').length)).toEqual(
      Array.from({ length: REALTIME_FAILURE_BUDGET + 1 }, () => 1),
    );
    await until(() => dialled.every((s) => s.closed), 'every socket to close');
    expect(await lastEvent(stack.nc, callSid, 'ended')).toMatchObject({ reason: 'realtime-failed' });
  });
});
