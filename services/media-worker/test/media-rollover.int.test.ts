import type { FakeRealtimeSession, TwilioMediaClient } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frames, type Stack, startStack, until } from './support.js';

/** Streams caller frames in real time until stopped; returns every frame sent, in order. */
function streamAudio(twilio: TwilioMediaClient): { sent: string[]; stop(): void } {
  const sent: string[] = [];
  const timer = setInterval(() => {
    const [frame] = frames(1, sent.length);
    twilio.sendMedia(frame as string, sent.length * 20);
    sent.push(frame as string);
  }, 20);
  return { sent, stop: () => clearInterval(timer) };
}

/** The caller says `text` to `session` (its server VAD hears a turn). */
function callerSays(session: FakeRealtimeSession, text: string): void {
  session.speechStarted();
  session.speechStopped(text);
}

function seededTexts(session: FakeRealtimeSession): string[] {
  return session
    .eventsOf('conversation.item.create')
    .flatMap(({ item }) =>
      item.type === 'message' ? item.content.map((c) => `${item.role}: ${c.text}`) : [],
    );
}

async function configured(stack: Stack, index: number): Promise<FakeRealtimeSession> {
  const session = await stack.fake.waitForSession(index + 1, 10_000);
  await until(() => session.config !== undefined, `session ${index + 1} to be configured`);
  return session;
}

describe('calls longer than a Realtime session: planned moves', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ REALTIME_SESSION_MAX_MS: '1000' });
  });
  afterAll(() => stack?.close());

  it('survives three moves: each new session gets the conversation, the caller’s audio arrives in order', async () => {
    const before = stack.fake.sessions.length;
    const callSid = await stack.newCall();
    const twilio = await stack.stream(callSid);
    const audio = streamAudio(twilio);
    const sessions: FakeRealtimeSession[] = [];
    for (let n = 0; n < 4; n++) {
      const session = await configured(stack, before + n);
      sessions.push(session);
      // The caller says something on each session, once the move to it is done.
      await until(() => session.audio.length > 0, `audio on session ${n + 1}`);
      callerSays(session, `caller turn ${n + 1}`);
    }
    await stack.transcript(callSid, 1 + 4 + 3); // the greeting, four turns, three moves
    audio.stop();
    twilio.sendStop(callSid);
    await twilio.closed;
    // Every session of the call, including any the call moved to since (each lives a second here).
    const all = stack.fake.sessions.slice(before);
    await until(() => all.every((s) => s.closed), 'every Realtime socket to close');

    // A move hands over between two frames: nothing lost, nothing twice, in order.
    expect(all.flatMap((s) => s.audio)).toEqual(audio.sent);
    // Each new session was told what had been said, and not to greet again.
    for (const [n, session] of sessions.entries()) {
      if (n === 0) continue;
      const seeded = seededTexts(session);
      expect(seeded[0]).toMatch(/^system: This phone call is already in progress/);
      expect(seeded).toContain('assistant: Hello! How can I help you today?');
      for (let turn = 1; turn <= n; turn++) expect(seeded).toContain(`user: caller turn ${turn}`);
      expect(session.eventsOf('response.create')).toEqual([]);
    }
    const segments = await stack.transcript(callSid, 8);
    const moves = segments.filter((s) => s.role === 'event');
    expect(moves).toHaveLength(3);
    for (const move of moves) expect(move.text).toMatch(/before the previous one’s time limit, after \d+ s$/);
  });
});

describe('calls longer than a Realtime session: the server ends one first', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({}, { sessionMaxMs: 1_200 });
  });
  afterAll(() => stack?.close());

  it('moves to a new session when OpenAI closes one at its limit, and keeps the conversation', async () => {
    const before = stack.fake.sessions.length;
    const callSid = await stack.newCall();
    const twilio = await stack.stream(callSid);
    const audio = streamAudio(twilio);
    const first = await configured(stack, before);
    await until(() => first.audio.length > 0, 'audio on the first session');
    callerSays(first, 'I am calling about my order.');
    const second = await configured(stack, before + 1);
    await until(() => second.audio.length > 10, 'audio on the second session');
    audio.stop();
    const last = audio.sent.at(-1) as string;
    await until(() => second.audio.includes(last), 'the last frame sent to arrive');
    expect(first.closed).toBe(true);
    expect(seededTexts(second)).toContain('user: I am calling about my order.');
    // Frames sent to the first session after its last turn are sent again: none is missing.
    const heard = new Set([...first.audio, ...second.audio]);
    expect(audio.sent.filter((frame) => !heard.has(frame))).toEqual([]);
    const segments = await stack.transcript(callSid, 3);
    expect(segments.find((s) => s.role === 'event')?.text).toMatch(
      /the previous one closed \(closed 1001 Your session hit the maximum duration of 1.2 seconds\.\)/,
    );
    twilio.sendStop(callSid);
    await twilio.closed;
  });
});
