import type { Agent, Call } from '@switchboard/contracts';
import type { FakeRealtimeSession } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { audio, frames, type Stack, startStack, until } from './support.js';

const GREETING_AUDIO = frames(50, 100);
const SAID = 'Hello! How can I help you today?';
const AGENT: Agent = {
  id: 'greeter',
  instructions: 'You answer the phone for a bakery.',
  voice: 'marin',
  model: 'gpt-realtime',
  greeting: 'Hello! How can I help you today?',
};

/** The assistant items a session was given, as text. */
function assistantItems(session: FakeRealtimeSession): string[] {
  return session
    .eventsOf('conversation.item.create')
    .flatMap((e) =>
      e.item.type === 'message' && e.item.role === 'assistant' ? [e.item.content[0]?.text ?? ''] : [],
    );
}

describe('a kept greeting (KEEP_GREETING_AUDIO=true)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack(
      { KEEP_GREETING_AUDIO: 'true' },
      { response: { audio: GREETING_AUDIO, transcript: SAID } },
    );
    await stack.upsertAgent(AGENT);
    // The first call's greeting, said by the model in full, is kept.
    const first = await stack.call(await stack.newCall(AGENT.id));
    await until(() => stack.worker.keptGreetings === 1, 'the first greeting kept');
    expect(first.session.eventsOf('response.create')).toHaveLength(1);
    first.twilio.close();
  });
  afterAll(() => stack?.close());

  async function reserved(): Promise<{ call: Call; session: FakeRealtimeSession }> {
    const callSid = await stack.newCall(AGENT.id);
    const call = await stack.client.callBySid({ callSid });
    const before = stack.fake.sessions.length;
    stack.worker.reservations.reserved(call, Date.now() + 5_000);
    const session = await stack.fake.waitForSession(before + 1);
    await until(() => session.config !== undefined, 'the prepared session configured');
    return { call, session };
  }

  it('plays at once on start, and the model is told it greeted, not asked to', async () => {
    const { call, session } = await reserved();
    const twilio = await stack.stream(call.callSid);
    await until(() => twilio.media.length >= GREETING_AUDIO.length, 'the kept greeting at the caller');
    expect(twilio.media.slice(0, GREETING_AUDIO.length)).toEqual(GREETING_AUDIO);
    await until(() => assistantItems(session).length > 0, 'the greeting in the conversation');
    expect(assistantItems(session)).toEqual([SAID]);
    expect(session.eventsOf('response.create')).toEqual([]);
    // Its transcript is the call's too.
    const segments = await stack.transcript(call.callSid, 1);
    expect(segments[0]).toMatchObject({ role: 'agent', text: SAID });
    twilio.close();
  });

  it('a barge-in during it clears Twilio and leaves the model the part heard', async () => {
    const { call, session } = await reserved();
    const twilio = await stack.stream(call.callSid, { playback: 'manual' });
    await until(() => twilio.media.length >= GREETING_AUDIO.length, 'the kept greeting at the caller');
    await until(() => assistantItems(session).length > 0, 'the greeting in the conversation');
    twilio.play(500); // half of its second
    await until(() => twilio.echoed.length >= 25, 'the marks of what was heard echoed');
    // The worker has read the echoes once a frame sent after them reaches the session.
    const before = session.audio.length;
    twilio.sendMedia(audio(20, 0x11));
    await until(() => session.audio.length > before, 'a frame after the echoes at the session');
    session.speechStarted();
    await until(() => twilio.clears === 1, 'the clear at Twilio');
    await until(() => session.eventsOf('conversation.item.delete').length === 1, 'the greeting item deleted');
    await until(() => assistantItems(session).length === 2, 'the heard part added');
    expect(assistantItems(session)[1]).toBe('Hello! How can…');
    expect(session.invalid).toEqual([]);
    twilio.close();
  });

  it('is forgotten when the agent changes, and the next call records it anew', async () => {
    await stack.upsertAgent({ ...AGENT, instructions: 'You answer the phone for a florist.' });
    await until(() => stack.worker.keptGreetings === 0, 'the kept greeting forgotten');
    const { twilio, session } = await stack.call(await stack.newCall(AGENT.id));
    await until(() => session.eventsOf('response.create').length === 1, 'the greeting asked of the model');
    await until(() => stack.worker.keptGreetings === 1, 'the new greeting kept');
    twilio.close();
  });
});
