import type { Call } from '@switchboard/contracts';
import { newCallSid } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PREPARED_AFTER_EXPIRY_MS } from '../src/warm/warm-sessions.js';
import { type Stack, startStack, until } from './support.js';

const STREAM_START_TIMEOUT_MS = 300;

describe('sessions prepared for reserved calls', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ STREAM_START_TIMEOUT_MS: String(STREAM_START_TIMEOUT_MS) });
  });
  afterAll(() => stack?.close());

  /** A registered call, as the gateway gets it back from `call.create` and reserves with it. */
  async function registered(): Promise<Call> {
    const callSid = await stack.newCall();
    return stack.client.callBySid({ callSid });
  }

  /** Reserves `call` on the worker and waits for its session to be configured and confirmed. */
  async function reserve(call: Call) {
    const before = stack.fake.sessions.length;
    stack.worker.reservations.reserved(call, Date.now() + 5_000);
    const session = await stack.fake.waitForSession(before + 1);
    await until(() => session.config !== undefined, 'the session.update of the prepared session');
    return session;
  }

  it('is ready when the stream starts: no second socket, the greeting asked for at once', async () => {
    const call = await registered();
    const prepared = await reserve(call);
    expect(prepared.model).toBe(call.agent.model);
    expect(stack.worker.preparedSessions).toBe(1);

    const twilio = await stack.stream(call.callSid);
    stack.worker.reservations.taken(call.callSid);
    await until(() => twilio.media.length > 0, 'the greeting at the caller');
    expect(stack.fake.sessions.at(-1)).toBe(prepared);
    expect(prepared.eventsOf('session.update')).toHaveLength(1);
    expect(prepared.eventsOf('response.create')).toHaveLength(1);
    expect(stack.worker.preparedSessions).toBe(0);

    // The same session.update as a call without a reservation gets from the bridge.
    const plain = await stack.call(await stack.newCall());
    await until(() => plain.session.config !== undefined, 'the plain session configured');
    expect(prepared.eventsOf('session.update')).toEqual(plain.session.eventsOf('session.update'));
    twilio.close();
    plain.twilio.close();
  });

  it('a reservation that expires closes its session; one taken by no start is closed after the start timeout', async () => {
    const call = await registered();
    const prepared = await reserve(call);
    stack.worker.reservations.expired(call.callSid);
    await until(() => prepared.closed, 'the expired reservation’s session closed');
    expect(stack.worker.preparedSessions).toBe(0);

    const other = await registered();
    const orphan = await reserve(other);
    stack.worker.reservations.taken(other.callSid);
    await until(() => orphan.closed, 'the taken-but-never-started session closed');
    expect(stack.worker.preparedSessions).toBe(0);
    expect(STREAM_START_TIMEOUT_MS).toBeLessThan(PREPARED_AFTER_EXPIRY_MS);
  });

  it('a prepared session that fails is dropped, and its call dials its own', async () => {
    const call = await registered();
    const prepared = await reserve(call);
    prepared.drop();
    await until(() => stack.worker.preparedSessions === 0, 'the failed session dropped');
    const { twilio, session } = await stack.call(call.callSid);
    expect(session).not.toBe(prepared);
    await until(() => twilio.media.length > 0, 'the greeting from the call’s own session');
    twilio.close();
  });

  it('one the Realtime API answers with an error is dropped; so is one whose agent changes', async () => {
    const refused = await reserve(await registered());
    refused.emit({
      type: 'error',
      event_id: 'event_1',
      error: { type: 'invalid_request_error', code: 'invalid_value', message: 'no such voice', param: null },
    });
    await until(() => refused.closed, 'the refused session closed');

    const agent = { id: 'warm', instructions: 'You sell bread.', voice: 'alloy', model: 'gpt-realtime' };
    await stack.upsertAgent(agent);
    const callSid = await stack.newCall(agent.id);
    const changing = await reserve(await stack.client.callBySid({ callSid }));
    const other = await reserve(await registered());
    await stack.upsertAgent({ ...agent, instructions: 'You sell cakes.' });
    await until(() => changing.closed, 'the changed agent’s session closed');
    expect(other.closed).toBe(false);
    stack.worker.reservations.expired(callSid);
    await until(() => stack.worker.preparedSessions === 1, 'only the other call’s session held');
  });

  it('leaks no socket after thousands of reserve / expire / take cycles', async () => {
    const base = await registered();
    const cycles = 2_100;
    const batch = 150;
    for (let i = 0; i < cycles; i += batch) {
      const calls = Array.from({ length: batch }, () => ({ ...base, callSid: newCallSid() }));
      const opened = stack.fake.sessions.length;
      for (const call of calls) stack.worker.reservations.reserved(call, Date.now() + 5_000);
      // A third expire at once (the socket still opening), a third once open, a third are taken and
      // never started (closed after the start timeout).
      calls.forEach((call, n) => {
        if (n % 3 === 0) stack.worker.reservations.expired(call.callSid);
      });
      const open = (2 * batch) / 3;
      await until(() => stack.fake.sessions.length >= opened + open, 'the batch’s other sessions open');
      calls.forEach((call, n) => {
        if (n % 3 === 1) stack.worker.reservations.expired(call.callSid);
        if (n % 3 === 2) stack.worker.reservations.taken(call.callSid);
      });
    }
    await until(() => stack.worker.preparedSessions === 0, 'no session held', 20_000);
    await until(() => stack.fake.openSockets === 0, 'no socket open at the fake', 20_000);
    // Two in three really opened at the fake (those expired at once may not have).
    expect(stack.fake.sessions.length).toBeGreaterThanOrEqual((2 * cycles) / 3);
    // And some that real streams take, with their calls' ends.
    for (let i = 0; i < 5; i++) {
      const call = await registered();
      await reserve(call);
      const twilio = await stack.stream(call.callSid);
      await until(() => twilio.media.length > 0, 'the greeting');
      twilio.close();
    }
    await until(() => stack.worker.liveStreams === 0, 'no stream left', 10_000);
    await until(() => stack.fake.openSockets === 0, 'no socket open at the fake', 10_000);
    expect(stack.worker.preparedSessions).toBe(0);
  }, 60_000);
});
