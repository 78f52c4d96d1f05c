import { request } from '@switchboard/bus';
import {
  type Agent,
  CallControlReply,
  CallControlRequest,
  CallEndedError,
  callControlSubject,
  InvalidRequestError,
  RegistryUnavailableError,
} from '@switchboard/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AgentStack, startAgentStack } from './agent-stack.js';
import { until } from './support.js';

// Live control (`call.control.<callSid>`) with two worker replicas on one nats-server: a request reaches
// whichever holds the call's stream; one no worker holds finds no responder.

const AGENT: Agent = {
  id: 'default',
  instructions: 'You help.',
  voice: 'alloy',
  model: 'gpt-realtime',
  greeting: 'Hi!',
};

describe('live control across worker replicas', () => {
  let stack: AgentStack;
  beforeAll(async () => {
    stack = await startAgentStack({ workers: 2 });
  });
  afterAll(() => stack?.close());

  const control = (callSid: string, body: CallControlRequest) =>
    request(
      stack.nc,
      { subject: callControlSubject(callSid), request: CallControlRequest, reply: CallControlReply },
      body,
      {
        timeoutMs: 5_000,
      },
    );

  it('say reaches the worker holding the stream, whichever it is', async () => {
    for (const worker of [0, 1]) {
      const callSid = stack.newCall(AGENT);
      const { twilio, session } = await stack.call(callSid, { worker });
      await until(() => session.eventsOf('response.create').length === 1, 'the greeting');
      expect(await control(callSid, { action: 'say', text: 'Your car is outside.' })).toEqual({
        callSid,
        accepted: true,
      });
      await until(() => session.eventsOf('response.create').length === 2, 'the say');
      expect(session.eventsOf('response.create')[1]?.response?.instructions).toBe(
        'Say exactly this to the caller, word for word, and nothing else: Your car is outside.',
      );
      twilio.sendStop(callSid);
      await twilio.closed;
    }
  });

  it('hangup ends the stream as operator-ended; afterwards nobody serves the call', async () => {
    const callSid = stack.newCall(AGENT);
    const { twilio } = await stack.call(callSid, { worker: 1 });
    expect(await control(callSid, { action: 'hangup' })).toEqual({ callSid, accepted: true });
    expect((await twilio.closed).code).toBe(1000);
    await until(() => stack.events.of(callSid, 'ended').length === 1, 'the ended event');
    expect(stack.events.of(callSid, 'ended')[0]).toMatchObject({ reason: 'operator-ended' });
    await expect(control(callSid, { action: 'hangup' })).rejects.toBeInstanceOf(RegistryUnavailableError);
  });

  it('a call no worker holds has no responder', async () => {
    await expect(control(stack.newCall(AGENT), { action: 'say', text: 'hello' })).rejects.toBeInstanceOf(
      RegistryUnavailableError,
    );
  });

  it('a malformed request is a 400; a transfer nobody can take is a 400; while ending a 409', async () => {
    const callSid = stack.newCall(AGENT);
    // Nothing plays (manual playback): once the agent hangs up, the call stays in its ending.
    const { twilio, session } = await stack.call(callSid, { playback: 'manual' });
    for (const body of [
      '{"action":"dance"}',
      '',
      'not json',
      '[1,2]',
      'null',
      '{"action":"say"}',
      '{"action":"say","text":""}',
      `{"action":"say","text":"${'x'.repeat(2_001)}"}`,
      '{"action":"transfer","target":42}',
      '{"action":"hangup","extra":true}',
      '\u0000\uffff',
    ]) {
      const raw = await stack.nc.request(callControlSubject(callSid), body, { timeout: 5_000 });
      expect(raw.headers?.get('Nats-Service-Error-Code'), body).toBe('400');
      expect(raw.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    }
    await expect(control(callSid, { action: 'transfer', target: 'nobody' })).rejects.toBeInstanceOf(
      InvalidRequestError,
    );
    await until(() => session.eventsOf('response.create').length === 1, 'the greeting');
    session.startResponse({
      audio: [],
      transcript: 'Goodbye!',
      functionCalls: [{ name: 'end_call', arguments: '{}' }],
    });
    await until(
      () => stack.events.of(callSid, 'transcript').some((e) => e.tool?.name === 'end_call'),
      'the worker to take the end_call',
    );
    await expect(control(callSid, { action: 'say', text: 'wait' })).rejects.toBeInstanceOf(CallEndedError);
    twilio.sendStop(callSid);
    await twilio.closed;
  });
});
