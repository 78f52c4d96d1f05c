import { EventPublisher } from '@switchboard/bus';
import type { StreamEndReason } from '@switchboard/contracts';
import { metricValue } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STREAM_FAILED_MESSAGE } from '../src/twiml.js';
import {
  ACCOUNT_SID,
  eventually,
  type GatewayStack,
  log,
  newCallSid,
  postTwilio,
  startStack,
  voiceParams,
} from './support.js';

// DESIGN-10 §3: no second goodbye. Twilio asks `<Connect action>` once the stream has ended; a call the agent
// (or an operator) ended just hangs up, anything else hears the apology.

const XML = '<?xml version="1.0" encoding="UTF-8"?>';
const HANGUP = `${XML}<Response><Hangup/></Response>`;
const APOLOGY = `${XML}<Response><Say>${STREAM_FAILED_MESSAGE}</Say><Hangup/></Response>`;

describe('what Twilio does once a stream has ended', () => {
  let stack: GatewayStack;
  let events: EventPublisher;
  beforeAll(async () => {
    stack = await startStack();
    events = new EventPublisher(stack.nc, log);
  });
  afterAll(() => stack?.close());

  const liveCall = async () => {
    const callSid = newCallSid();
    await postTwilio(stack.gateway, '/twilio/voice', voiceParams(callSid));
    return callSid;
  };
  const workerEnded = (callSid: string, reason: StreamEndReason) =>
    events.publish(
      { kind: 'ended', callSid, reason, at: new Date().toISOString() },
      { msgId: `ended:${callSid}:MZ1` },
    );
  const streamEnded = async (callSid: string) => {
    const res = await postTwilio(stack.gateway, '/twilio/stream-ended', {
      CallSid: callSid,
      AccountSid: ACCOUNT_SID,
      CallStatus: 'in-progress',
      ApiVersion: '2010-04-01',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    return res.text();
  };

  it('hangs up without a word after the agent or an operator ended the call, and apologises for the rest', async () => {
    const expected: Array<[StreamEndReason, string]> = [
      ['agent-ended', HANGUP],
      ['operator-ended', HANGUP],
      ['realtime-failed', APOLOGY],
      ['realtime-not-ready', APOLOGY],
      ['drained', APOLOGY],
    ];
    for (const [reason, twiml] of expected) {
      const callSid = await liveCall();
      await workerEnded(callSid, reason);
      await eventually(
        () => stack.client.callBySid({ callSid }),
        (c) => c.endedReason === reason,
      );
      expect(await streamEnded(callSid), reason).toBe(twiml);
    }
  });

  it('waits for the registry to learn the reason when Twilio asks first', async () => {
    const callSid = await liveCall();
    const answer = streamEnded(callSid);
    setTimeout(() => void workerEnded(callSid, 'agent-ended'), 200);
    expect(await answer).toBe(HANGUP);
  });

  it('apologises when it cannot tell: no reason in time, an unknown call, or params that make no sense', async () => {
    const callSid = await liveCall();
    const lookups = async () =>
      metricValue(
        await (await fetch(`${stack.gateway.url}/metrics`)).text(),
        'gateway_registry_request_duration_seconds_count',
        {
          endpoint: 'call.bySid',
          outcome: 'ok',
        },
      ) ?? 0;
    const before = await lookups();
    expect(await streamEnded(callSid)).toBe(APOLOGY);
    // It kept asking the registry (every STREAM_ENDED_POLL_MS, for STREAM_ENDED_WAIT_MS) before deciding.
    expect((await lookups()) - before).toBeGreaterThan(1);
    expect(await streamEnded(newCallSid())).toBe(APOLOGY);
    const nonsense = await postTwilio(stack.gateway, '/twilio/stream-ended', { CallSid: 'nope' });
    expect(await nonsense.text()).toBe(APOLOGY);
  });

  it('refuses an unsigned request', async () => {
    const res = await postTwilio(
      stack.gateway,
      '/twilio/stream-ended',
      { CallSid: newCallSid() },
      { authToken: 'not-the-token' },
    );
    expect(res.status).toBe(403);
  });
});
