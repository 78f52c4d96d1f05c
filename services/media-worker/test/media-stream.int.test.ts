import type { FakeRealtimeSession, FakeResponseScript } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audio, frames, lastEvent, type Stack, startStack, until } from './support.js';

const GREETING_AUDIO = frames(50, 100);
const SPEECH = audio(20, 0x55);

const responses = new WeakMap<FakeRealtimeSession, number>();
/** Whether greetings stream in real time (20 ms a chunk) rather than all at once. */
let paced = false;

/** Each session's first response is the greeting, then a short answer to each thing the caller says. */
function script(session: FakeRealtimeSession): FakeResponseScript {
  const count = (responses.get(session) ?? 0) + 1;
  responses.set(session, count);
  return count === 1
    ? {
        audio: GREETING_AUDIO,
        transcript: 'Hello! How can I help you today?',
        chunkIntervalMs: paced ? 20 : 0,
      }
    : { audio: frames(10, 200), transcript: 'Sure, for how many people?' };
}

/** Waits until the worker has handled everything the client sent so far, via one more frame. */
async function flushTwilio(session: FakeRealtimeSession, twilio: { sendMedia(p: string): void }) {
  const marker = audio(20, 0x11);
  const before = session.audio.length;
  twilio.sendMedia(marker);
  await until(() => session.audio.length > before, 'the marker frame to reach the Realtime session');
}

describe('media stream', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(
      {},
      {
        response: script,
        speechTrigger: { payload: SPEECH, transcript: 'A table for two, please', respond: true },
      },
    );
  });
  afterAll(() => stack?.close());

  it('relays audio both ways unchanged and in order, the first frames included', async () => {
    const callSid = await stack.newCall();
    const before = stack.fake.sessions.length;
    const twilio = await stack.stream(callSid);
    // Twilio streams from the first moment: these frames arrive before the Realtime session is ready.
    for (const frame of frames(25)) twilio.sendMedia(frame);
    const session = await stack.fake.waitForSession(before + 1);
    await until(() => session.audio.length >= 25, 'the first 25 frames');
    for (const frame of frames(25, 25)) twilio.sendMedia(frame);
    await until(() => session.audio.length >= 50, 'all 50 frames');
    expect(session.audio).toEqual(frames(50));

    expect(session.model).toBe('gpt-realtime');
    expect(session.config).toMatchObject({
      type: 'realtime',
      instructions: expect.stringContaining('phone assistant'),
      audio: {
        input: { format: { type: 'audio/pcmu' }, turn_detection: { type: 'server_vad' } },
        output: { format: { type: 'audio/pcmu' }, voice: 'alloy' },
      },
    });

    await twilio.waitFor(() => twilio.media.length >= GREETING_AUDIO.length, 5_000, 'the greeting');
    expect(twilio.media).toEqual(GREETING_AUDIO);
    // Every chunk is followed by its mark.
    expect(twilio.received.map((m) => m.event)).toEqual(GREETING_AUDIO.flatMap(() => ['media', 'mark']));
    twilio.sendStop(callSid);
    await twilio.closed;
  });

  it('on barge-in mid-answer, clears Twilio, cancels, and truncates at the audio actually played', async () => {
    paced = true;
    const callSid = await stack.newCall();
    const { twilio, session } = await stack.call(callSid, { playback: 'manual' });
    await twilio.waitFor(() => twilio.media.length >= 20, 5_000, 'part of the greeting');
    paced = false;
    twilio.play(300);
    await flushTwilio(session, twilio);

    session.speechStarted();
    await until(() => session.eventsOf('conversation.item.truncate').length === 1, 'the truncate');
    expect(session.eventsOf('conversation.item.truncate')[0]).toMatchObject({
      content_index: 0,
      audio_end_ms: 300,
    });
    expect(session.eventsOf('response.cancel')).toHaveLength(1);
    await twilio.waitFor(() => twilio.clears === 1, 2_000, 'the clear');
    const relayed = twilio.media.length;
    expect(relayed).toBeLessThan(GREETING_AUDIO.length);
    expect(twilio.media).toEqual(GREETING_AUDIO.slice(0, relayed));
    twilio.sendStop(callSid);
    await twilio.closed;
  });

  it('on barge-in after the whole answer arrived, truncates it at what was heard', async () => {
    const callSid = await stack.newCall();
    const { twilio, session } = await stack.call(callSid, { playback: 'manual' });
    await twilio.waitFor(() => twilio.media.length === GREETING_AUDIO.length, 5_000, 'the greeting');
    twilio.play(740);
    await flushTwilio(session, twilio);

    session.speechStarted();
    await until(() => session.eventsOf('conversation.item.truncate').length === 1, 'the truncate');
    const [truncate] = session.eventsOf('conversation.item.truncate');
    // Marks are per 20 ms chunk: 740 ms played means 37 chunks confirmed.
    expect(truncate).toMatchObject({ content_index: 0, audio_end_ms: 740 });
    expect(session.itemAudioMs(truncate?.item_id ?? '')).toBe(1_000);
    expect(session.eventsOf('response.cancel')).toEqual([]);
    await twilio.waitFor(() => twilio.clears === 1, 2_000, 'the clear');
    // The marks Twilio echoes for the cleared audio change nothing; the stream goes on.
    twilio.play(1_000);
    await flushTwilio(session, twilio);
    expect(session.eventsOf('conversation.item.delete')).toEqual([]);
    expect(twilio.isOpen).toBe(true);
    twilio.sendStop(callSid);
    await twilio.closed;
  });

  it('deletes the answer when the caller barges in before any of it played', async () => {
    const callSid = await stack.newCall();
    const { twilio, session } = await stack.call(callSid, { playback: 'manual' });
    await twilio.waitFor(() => twilio.media.length === GREETING_AUDIO.length, 5_000, 'the greeting');
    session.speechStarted();
    await until(() => session.eventsOf('conversation.item.delete').length === 1, 'the delete');
    expect(session.eventsOf('conversation.item.truncate')).toEqual([]);
    twilio.sendStop(callSid);
  });

  it('publishes both sides of the conversation, which reach call.transcript in spoken order', async () => {
    const callSid = await stack.newCall();
    const { twilio, session } = await stack.call(callSid);
    await twilio.waitFor(() => twilio.echoed.length === GREETING_AUDIO.length, 5_000, 'the greeting to play');
    twilio.sendMedia(SPEECH);
    const segments = await stack.transcript(callSid, 3);
    expect(segments.map(({ role, text }) => ({ role, text }))).toEqual([
      { role: 'agent', text: 'Hello! How can I help you today?' },
      { role: 'caller', text: 'A table for two, please' },
      { role: 'agent', text: 'Sure, for how many people?' },
    ]);
    expect(session.closed).toBe(false);
    twilio.sendDtmf('7');
    expect(await lastEvent(stack.nc, callSid, 'dtmf')).toMatchObject({
      digit: '7',
      streamSid: twilio.streamSid,
    });
    twilio.sendStop(callSid);
    await until(() => session.closed, 'the Realtime socket to close');
    expect(await lastEvent(stack.nc, callSid, 'stream')).toMatchObject({ action: 'stopped' });
  });

  it('ends the stream when the agent calls end_call, once its goodbye has played', async () => {
    const callSid = await stack.newCall();
    const goodbye = frames(10, 50);
    const { twilio, session } = await stack.call(callSid);
    await twilio.waitFor(() => twilio.echoed.length === GREETING_AUDIO.length, 5_000, 'the greeting to play');
    session.startResponse({ audio: goodbye, transcript: 'Goodbye!', functionCall: { name: 'end_call' } });
    const { code } = await twilio.closed;
    expect(code).toBe(1000);
    expect(twilio.media.slice(-goodbye.length)).toEqual(goodbye);
    expect(twilio.echoed).toHaveLength(GREETING_AUDIO.length + goodbye.length);
    await until(() => session.closed, 'the Realtime socket to close');
    expect(await lastEvent(stack.nc, callSid, 'ended')).toMatchObject({ reason: 'agent-ended' });
  });

  it('leaves nothing behind once the streams are over', async () => {
    await until(() => stack.worker.liveStreams === 0, 'every stream to close');
    expect(stack.fake.sessions.every((s) => s.closed)).toBe(true);
  });
});
