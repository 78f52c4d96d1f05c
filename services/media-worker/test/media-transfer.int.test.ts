import { type Agent, CallEndedError } from '@switchboard/contracts';
import type { FakeRealtimeSession } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentStack, GREETING, startAgentStack } from './agent-stack.js';
import { frames, until } from './support.js';

// Transfer to a person: the agent's last words play, the worker asks twilio.call.transfer (a test
// responder here, the gateway in production), and Twilio's stop ends the stream as `transferred`.

const CONNECTING = frames(10, 150);

const AGENT: Agent = {
  id: 'front-desk',
  instructions: 'You answer for a clinic.',
  voice: 'alloy',
  model: 'gpt-realtime',
  greeting: 'Hello!',
  transferTargets: [{ name: 'reception', description: 'A person at the front desk', to: '+15550001111' }],
};

describe('transfer to a person', () => {
  let stack: AgentStack;
  beforeAll(async () => {
    stack = await startAgentStack();
  });
  afterAll(() => stack?.close());

  const transferCall = (session: FakeRealtimeSession) =>
    session.startResponse({
      audio: CONNECTING,
      transcript: 'Connecting you now.',
      functionCalls: [
        {
          name: 'transfer_call',
          arguments: '{"target":"reception","reason":"wants a person"}',
          callId: 'call_t',
        },
      ],
    });

  it('after "connecting you now" has played, the gateway is asked; Twilio’s stop ends the stream as transferred', async () => {
    const { callSid, twilio, session } = await stack.answered(AGENT);
    const before = stack.transfers.length;
    transferCall(session);
    await until(() => stack.transfers.length > before, 'the transfer request');
    expect(twilio.echoed).toHaveLength(GREETING.length + CONNECTING.length);
    expect(stack.transfers.at(-1)).toEqual({ callSid, to: '+15550001111', target: 'reception' });
    await until(
      () =>
        stack.events
          .of(callSid, 'transcript')
          .some((e) => e.role === 'event' && e.text.startsWith('transfer')),
      'the transfer segment',
    );
    expect(stack.events.of(callSid, 'transcript').find((e) => e.role === 'event')?.text).toBe(
      'transfer to reception requested by the agent: wants a person',
    );
    // Twilio runs the new TwiML: the stream stops.
    await new Promise((r) => setTimeout(r, 100));
    twilio.sendStop(callSid);
    expect((await twilio.closed).code).toBe(1000);
    await until(() => stack.events.of(callSid, 'ended').length === 1, 'the ended event');
    expect(stack.events.of(callSid, 'ended')[0]).toMatchObject({ reason: 'transferred' });
    expect(stack.events.of(callSid, 'stream').at(-1)).toMatchObject({
      action: 'stopped',
      reason: 'transferred',
    });
  });

  it('refused: the agent is told, and the call goes on', async () => {
    stack.answerTransfers(async () => {
      throw new CallEndedError('the call is no longer in progress');
    });
    const { callSid, twilio, session } = await stack.answered(AGENT);
    transferCall(session);
    await until(() => session.functionOutputs().has('call_t'), 'the refusal told to the model');
    expect(JSON.parse(session.functionOutputs().get('call_t') ?? '')).toEqual({
      error:
        'the transfer to reception could not be made: CALL_ENDED: the call is no longer in progress. Tell the caller and go on.',
    });
    await until(() => session.eventsOf('response.create').length === 2, 'the agent to go on');
    expect(twilio.isOpen).toBe(true);
    twilio.sendStop(callSid);
    await twilio.closed;
    stack.answerTransfers(async (request) => ({ callSid: request.callSid, status: 'in-progress' }));
  });

  it('back after a dial that did not connect: seeded from the transcript, the agent says the transfer failed', async () => {
    const at = (s: number) => new Date(Date.now() - s * 1_000).toISOString();
    const callSid = stack.newCall(AGENT, [
      { role: 'agent', text: 'Hello!', at: at(60) },
      { role: 'caller', text: 'Can I speak to someone?', at: at(55) },
      { role: 'agent', text: 'Connecting you now.', at: at(50) },
      { role: 'event', text: 'transfer to reception requested by the agent', at: at(49) },
    ]);
    const { twilio, session } = await stack.call(callSid, {
      parameters: { transferFailed: 'no-answer', transferTarget: 'reception' },
    });
    await until(() => session.eventsOf('response.create').length === 1, 'the agent to speak');
    const seeded = session.eventsOf('conversation.item.create').map((e) => e.item);
    expect(seeded).toEqual([
      {
        type: 'message',
        role: 'system',
        content: [{ type: 'input_text', text: expect.stringMatching(/already in progress/) }],
      },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Hello!' }] },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Can I speak to someone?' }] },
      { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'Connecting you now.' }] },
    ]);
    expect(session.eventsOf('response.create')[0]?.response?.instructions).toBe(
      'You tried to transfer the caller to reception, but the transfer did not go through: nobody answered. ' +
        'Tell the caller, apologise briefly, and ask how else you can help.',
    );
    twilio.sendStop(callSid);
    await twilio.closed;
  });
});
