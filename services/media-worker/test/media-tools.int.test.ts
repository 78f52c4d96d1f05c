import type { Agent } from '@switchboard/contracts';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentStack, SIGNING_SECRET, startAgentStack } from './agent-stack.js';
import { until } from './support.js';

// The model calls the agent's own tools; a tool server of the test's own (real HTTP) answers them.

const FILLER_AFTER_MS = 300;

describe('tools over HTTP', () => {
  let stack: AgentStack;
  let agent: Agent;
  beforeAll(async () => {
    stack = await startAgentStack({
      env: { TOOL_FILLER_AFTER_MS: String(FILLER_AFTER_MS) },
    });
    const tool = (name: string, timeoutMs?: number) => ({
      name,
      description: `the ${name} tool`,
      parameters: { type: 'object', properties: { q: { type: 'string' } } },
      url: stack.tools.url(name),
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    });
    agent = {
      id: 'front-desk',
      instructions: 'You book tables.',
      voice: 'alloy',
      model: 'gpt-realtime',
      greeting: 'Hello!',
      tools: [tool('find_slots'), tool('book'), tool('broken'), tool('slow', 400)],
    };
  });
  afterAll(() => stack?.close());

  it('a call reaches the tool server signed; its result goes back to the model, and the model goes on', async () => {
    stack.tools.on('find_slots', () => ({ body: { slots: ['19:00', '20:30'] } }));
    const { callSid, twilio, session } = await stack.answered(agent);
    session.startResponse({
      audio: [],
      functionCalls: [{ name: 'find_slots', arguments: '{"q":"friday"}', callId: 'call_fs' }],
    });
    await until(() => session.functionOutputs().has('call_fs'), 'the function_call_output');
    const request = stack.tools.requests.at(-1);
    const body = JSON.parse(request?.body ?? '{}');
    expect(body).toEqual({
      callSid,
      agentId: 'front-desk',
      tool: 'find_slots',
      callId: 'call_fs',
      arguments: { q: 'friday' },
    });
    const headers = Object.fromEntries(
      ['webhook-id', 'webhook-timestamp', 'webhook-signature'].map((h) => [h, String(request?.headers[h])]),
    );
    expect(new Webhook(SIGNING_SECRET).verify(request?.body ?? '', headers)).toEqual(body);
    expect(session.functionOutputs().get('call_fs')).toBe('{"slots":["19:00","20:30"]}');
    // One response.create after the output (the first was the greeting).
    await until(() => session.eventsOf('response.create').length === 2, 'the response after the result');
    const order = session.received
      .map((e) => e.type)
      .filter((t) => t === 'conversation.item.create' || t === 'response.create');
    expect(order.slice(-2)).toEqual(['conversation.item.create', 'response.create']);
    await until(
      () => stack.events.of(callSid, 'transcript').some((e) => e.role === 'tool'),
      'the tool segment',
    );
    expect(stack.events.of(callSid, 'transcript').find((e) => e.role === 'tool')).toMatchObject({
      itemId: `${twilio.streamSid}:tool-call_fs`,
      text: '{"slots":["19:00","20:30"]}',
      tool: {
        name: 'find_slots',
        callId: 'call_fs',
        arguments: { q: 'friday' },
        status: 'ok',
        ms: expect.any(Number),
      },
    });
    twilio.sendStop(callSid);
    await twilio.closed;
  });

  it('two calls of one response run at once; one response.create follows both results', async () => {
    let inFlight = 0;
    let most = 0;
    stack.tools.on('book', async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((r) => setTimeout(r, 150));
      inFlight--;
      return { body: { booked: true } };
    });
    const { callSid, twilio, session } = await stack.answered(agent);
    session.startResponse({
      audio: [],
      functionCalls: [
        { name: 'book', arguments: '{"q":"a"}', callId: 'call_a' },
        { name: 'book', arguments: '{"q":"b"}', callId: 'call_b' },
      ],
    });
    await until(() => session.functionOutputs().size === 2, 'both outputs');
    expect(most).toBe(2);
    await until(() => session.eventsOf('response.create').length === 2, 'the response after the results');
    await new Promise((r) => setTimeout(r, 200));
    expect(session.eventsOf('response.create')).toHaveLength(2);
    twilio.sendStop(callSid);
    await twilio.closed;
  });

  it('a failing tool becomes an error output the model can speak about', async () => {
    stack.tools.on('broken', () => ({ status: 500, body: { oops: true } }));
    const { callSid, twilio, session } = await stack.answered(agent);
    session.startResponse({
      audio: [],
      functionCalls: [{ name: 'broken', arguments: '{}', callId: 'call_x' }],
    });
    await until(() => session.functionOutputs().has('call_x'), 'the output');
    expect(JSON.parse(session.functionOutputs().get('call_x') ?? '')).toEqual({
      error: 'the broken system answered with an error (HTTP 500)',
    });
    await until(() => session.eventsOf('response.create').length === 2, 'the response after the error');
    twilio.sendStop(callSid);
    await twilio.closed;
  });

  it('a slow tool: a holding line after TOOL_FILLER_AFTER_MS, then its timeout, an error output', async () => {
    stack.tools.on('slow', () => ({ body: {}, delayMs: 2_000 }));
    const { callSid, twilio, session } = await stack.answered(agent);
    session.startResponse({
      audio: [],
      functionCalls: [{ name: 'slow', arguments: '{}', callId: 'call_s' }],
    });
    await until(() => session.eventsOf('response.create').length === 2, 'the holding line');
    expect(session.eventsOf('response.create')[1]?.response?.instructions).toMatch(
      /^A lookup is taking a moment/,
    );
    expect(session.functionOutputs().has('call_s')).toBe(false);
    await until(() => session.functionOutputs().has('call_s'), 'the timeout');
    expect(JSON.parse(session.functionOutputs().get('call_s') ?? '')).toEqual({
      error: 'the slow system did not answer within 400 ms',
    });
    await until(
      () => stack.events.of(callSid, 'transcript').some((e) => e.tool?.status === 'timeout'),
      'the segment',
    );
    twilio.sendStop(callSid);
    await twilio.closed;
  });

  it('a result too large for the model is cut, and the output says so', async () => {
    stack.tools.on('find_slots', () => ({
      body: { slots: Array.from({ length: 5_000 }, (_, i) => `slot ${i}`) },
    }));
    const { callSid, twilio, session } = await stack.answered(agent);
    session.startResponse({
      audio: [],
      functionCalls: [{ name: 'find_slots', arguments: '{}', callId: 'call_big' }],
    });
    await until(() => session.functionOutputs().has('call_big'), 'the output');
    const output = session.functionOutputs().get('call_big') ?? '';
    expect(output.length).toBeLessThanOrEqual(16_384);
    expect(JSON.parse(output)).toMatchObject({ truncated: true, note: expect.stringMatching(/it is cut/) });
    twilio.sendStop(callSid);
    await twilio.closed;
  });

  it('a late result after the caller barged in is still given to the model', async () => {
    stack.tools.on('book', () => ({ body: { booked: 'late' }, delayMs: 300 }));
    const { callSid, twilio, session } = await stack.answered(agent);
    session.startResponse({
      audio: [],
      functionCalls: [{ name: 'book', arguments: '{}', callId: 'call_late' }],
    });
    session.speechStarted();
    session.speechStopped('Actually, wait.');
    await until(() => session.functionOutputs().has('call_late'), 'the late output');
    expect(session.functionOutputs().get('call_late')).toBe('{"booked":"late"}');
    twilio.sendStop(callSid);
    await twilio.closed;
  });
});
