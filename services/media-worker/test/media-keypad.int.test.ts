import type { Agent } from '@switchboard/contracts';
import { detectDtmf, type FakeRealtimeSession } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DTMF_GAP_MS, DTMF_TONE_MS } from '../src/index.js';
import { type AgentStack, startAgentStack } from './agent-stack.js';
import { until } from './support.js';

// Keys both ways over real sockets: the caller's reach the model as conversation input; the agent's
// (send_dtmf) reach Twilio as tones a Goertzel detector reads back. And a silent caller.

const AGENT: Agent = {
  id: 'ivr',
  instructions: 'You help.',
  voice: 'alloy',
  model: 'gpt-realtime',
  greeting: 'Hi!',
};

describe('keypad', () => {
  let stack: AgentStack;
  beforeAll(async () => {
    stack = await startAgentStack();
  });
  afterAll(() => stack?.close());

  const userTexts = (session: FakeRealtimeSession) =>
    session
      .eventsOf('conversation.item.create')
      .flatMap((e) => (e.item.type === 'message' && e.item.role === 'user' ? [e.item.content[0]?.text] : []));

  it('a key the caller presses reaches the model, stays a dtmf event and becomes an event segment', async () => {
    const { callSid, twilio, session } = await stack.answered(AGENT);
    twilio.sendDtmf('4');
    await until(() => userTexts(session).length === 1, 'the key as input');
    expect(userTexts(session)).toEqual(['The caller pressed 4 on the phone keypad.']);
    await until(() => session.eventsOf('response.create').length === 2, 'the answer');
    await until(() => stack.events.of(callSid, 'transcript').some((e) => e.role === 'event'), 'the segment');
    expect(stack.events.of(callSid, 'dtmf')).toMatchObject([{ digit: '4' }]);
    expect(stack.events.of(callSid, 'transcript').find((e) => e.role === 'event')?.text).toBe(
      'the caller pressed 4',
    );
    twilio.sendStop(callSid);
    await twilio.closed;
  });

  it('with a keypad setting, keys are gathered until #', async () => {
    const { callSid, twilio, session } = await stack.answered({ ...AGENT, keypad: { pauseMs: 5_000 } });
    for (const key of '1234#') twilio.sendDtmf(key);
    await until(() => userTexts(session).length === 1, 'the entry');
    expect(userTexts(session)).toEqual(['The caller entered 1234 on the phone keypad.']);
    twilio.sendStop(callSid);
    await twilio.closed;
  });

  it('send_dtmf plays tones the other side hears as the keys; the model hears once they have played', async () => {
    const { callSid, twilio, session } = await stack.answered(AGENT);
    const before = twilio.media.length;
    session.startResponse({
      audio: [],
      functionCalls: [{ name: 'send_dtmf', arguments: '{"digits":"3#1"}', callId: 'call_k' }],
    });
    await until(() => session.functionOutputs().has('call_k'), 'the keys to play');
    // The tones, not the answer that may follow them: each key is a tone and a pause, 20 ms a chunk.
    const chunks = (3 * (DTMF_TONE_MS + DTMF_GAP_MS)) / 20;
    const audio = Buffer.concat(
      twilio.media.slice(before, before + chunks).map((p) => Buffer.from(p, 'base64')),
    );
    const tones = detectDtmf(audio);
    expect(tones.map((t) => t.key).join('')).toBe('3#1');
    for (const t of tones) expect(t.endMs - t.startMs).toBeGreaterThanOrEqual(70);
    for (let i = 1; i < tones.length; i++) {
      expect((tones[i]?.startMs ?? 0) - (tones[i - 1]?.endMs ?? 0)).toBeGreaterThanOrEqual(50);
    }
    expect(twilio.echoed.length).toBeGreaterThanOrEqual(before + chunks);
    expect(session.functionOutputs().get('call_k')).toBe('{"pressed":"3#1"}');
    twilio.sendStop(callSid);
    await twilio.closed;
  });

  it('a silent caller is reprompted, then the agent says goodbye and hangs up', async () => {
    const { callSid, twilio, session } = await stack.answered({
      ...AGENT,
      idleTimeoutMs: 1_000,
      idleReprompts: 1,
    });
    await until(() => session.eventsOf('response.create').length === 2, 'the reprompt', 5_000);
    expect(session.eventsOf('response.create')[1]?.response?.instructions).toMatch(
      /^The caller has not said anything/,
    );
    await until(() => session.eventsOf('response.create').length === 3, 'the goodbye', 5_000);
    expect(session.eventsOf('response.create')[2]?.response?.instructions).toMatch(
      /^The caller has not answered/,
    );
    expect((await twilio.closed).code).toBe(1000);
    await until(() => stack.events.of(callSid, 'ended').length === 1, 'the ended event');
    expect(stack.events.of(callSid, 'ended')[0]).toMatchObject({
      reason: 'agent-ended',
      detail: 'the caller did not answer 1 reprompts',
    });
  });
});
