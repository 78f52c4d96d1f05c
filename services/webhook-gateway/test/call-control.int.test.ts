import type { NatsConnection, Subscription } from '@nats-io/nats-core';
import { connectBus, EventPublisher, respondWithError } from '@switchboard/bus';
import { CallControlRequest, CallEndedError, callControlSubject } from '@switchboard/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  api,
  errorOf,
  eventually,
  type GatewayStack,
  log,
  newCallSid,
  postTwilio,
  startStack,
  voiceParams,
} from './support.js';

// SPEC "Live control": the worker holding a call's stream serves `call.control.<callSid>` while it does; the
// gateway finds it through NATS, whichever replicas are involved. The worker here is a test's own subscriber on
// its own connection, answering as DESIGN-10 §2 says a worker does.

describe('live control of a call', () => {
  let stack: GatewayStack;
  let worker: NatsConnection;
  const received: Array<{ callSid: string; request: CallControlRequest }> = [];
  const held: Subscription[] = [];

  beforeAll(async () => {
    stack = await startStack();
    worker = await connectBus({ url: stack.nats.url, name: 'fake-media-worker' });
  });
  afterAll(async () => {
    await worker?.close();
    await stack?.close();
  });

  /** A live call: registered, its stream held by the fake worker, which answers `ending` after a hang-up. */
  async function liveCall(answer: 'accept' | 'ending' = 'accept'): Promise<string> {
    const callSid = newCallSid();
    await postTwilio(stack.gateway, '/twilio/voice', voiceParams(callSid));
    const sub = worker.subscribe(callControlSubject(callSid), {
      callback: (_err, msg) => {
        const request = CallControlRequest.parse(msg.json());
        received.push({ callSid, request });
        if (answer === 'accept') {
          msg.respond(JSON.stringify({ callSid, accepted: true }));
          return;
        }
        respondWithError(msg, new CallEndedError(`call ${callSid} is ending`));
      },
    });
    held.push(sub);
    await worker.flush();
    return callSid;
  }

  const post = (gateway: GatewayStack['gateway'], callSid: string, action: string, body?: unknown) =>
    api(gateway, `/api/calls/${callSid}/${action}`, {
      method: 'POST',
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  it('hands hangup, transfer and say to the worker holding the stream: 202', async () => {
    const callSid = await liveCall();
    for (const [action, body] of [
      ['hangup', undefined],
      ['transfer', { target: 'front_desk' }],
      ['transfer', { target: '+15550005555' }],
      ['say', { text: 'Your table is booked.' }],
    ] as const) {
      const res = await post(stack.gateway, callSid, action, body);
      expect(res.status, action).toBe(202);
      expect(await res.json()).toEqual({ callSid, accepted: true });
    }
    expect(received.filter((r) => r.callSid === callSid).map((r) => r.request)).toEqual([
      { action: 'hangup' },
      { action: 'transfer', target: 'front_desk' },
      { action: 'transfer', target: '+15550005555' },
      { action: 'say', text: 'Your table is booked.' },
    ]);
  });

  it('reaches the worker through another gateway replica', async () => {
    const callSid = await liveCall();
    const other = await stack.startGateway();
    const res = await post(other, callSid, 'say', { text: 'Hello from the other replica.' });
    expect(res.status).toBe(202);
    expect(received.at(-1)).toEqual({
      callSid,
      request: { action: 'say', text: 'Hello from the other replica.' },
    });
  });

  it('answers 400 for a bad body, before asking anyone', async () => {
    const callSid = await liveCall();
    const before = received.length;
    const cases: Array<[string, unknown, string]> = [
      ['transfer', {}, 'target'],
      ['transfer', { target: 'has spaces' }, 'target'],
      ['transfer', { target: 'sip:desk@pbx.example.com' }, 'target'],
      ['say', { text: '' }, 'text'],
      ['say', { text: 'x'.repeat(2_001) }, 'text'],
      ['say', { text: 'a\u0000b' }, 'text'],
      ['hangup', { now: true }, 'now'],
      ['say', { text: 'hi', action: 'hangup' }, 'action'],
      ['say', ['hi'], ''],
    ];
    for (const [action, body, field] of cases) {
      const res = await post(stack.gateway, callSid, action, body);
      expect(res.status, `${action} ${JSON.stringify(body)}`).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe('INVALID_REQUEST');
      if (field) expect(error.details).toContainEqual(expect.objectContaining({ path: [field] }));
    }
    expect((await post(stack.gateway, 'CA123', 'hangup')).status).toBe(400);
    expect(received.length).toBe(before);
  });

  it('answers 404 for an unknown call and CALL_NOT_LIVE for one no worker holds', async () => {
    const unknown = await post(stack.gateway, newCallSid(), 'hangup');
    expect(unknown.status).toBe(404);
    expect((await errorOf(unknown)).code).toBe('CALL_NOT_FOUND');

    const callSid = newCallSid();
    await postTwilio(stack.gateway, '/twilio/voice', voiceParams(callSid));
    const notLive = await post(stack.gateway, callSid, 'say', { text: 'anyone?' });
    expect(notLive.status).toBe(404);
    expect((await errorOf(notLive)).code).toBe('CALL_NOT_LIVE');
  });

  it('answers 409 for a call that has ended, and passes on the worker’s 409 for one that is ending', async () => {
    const ended = await liveCall();
    await new EventPublisher(stack.nc, log).publish(
      { kind: 'ended', callSid: ended, reason: 'agent-ended', at: new Date().toISOString() },
      { msgId: `ended:${ended}:MZ1` },
    );
    await eventually(
      () => stack.client.callBySid({ callSid: ended }),
      (c) => c.status === 'completed',
    );
    const before = received.length;
    const res = await post(stack.gateway, ended, 'hangup');
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe('CALL_ENDED');
    expect(received.length).toBe(before);

    const ending = await liveCall('ending');
    const refused = await post(stack.gateway, ending, 'say', { text: 'too late' });
    expect(refused.status).toBe(409);
    expect(await errorOf(refused)).toMatchObject({
      code: 'CALL_ENDED',
      message: `call ${ending} is ending`,
    });
  });
});
