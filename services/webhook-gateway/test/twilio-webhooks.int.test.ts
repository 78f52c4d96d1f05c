import { jetstreamManager } from '@nats-io/jetstream';
import { CALL_EVENTS_STREAM, CallNotFoundError, eventSubject } from '@switchboard/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APOLOGY_MESSAGE } from '../src/twiml.js';
import {
  eventually,
  type GatewayStack,
  MEDIA_STREAM_URL,
  newCallSid,
  PUBLIC_BASE_URL,
  postTwilio,
  startStack,
  statusParams,
  voiceParams,
} from './support.js';

describe('Twilio webhooks through the real registry, PostgreSQL and nats-server', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  const storedEvents = async (callSid: string, kind: string) => {
    const jsm = await jetstreamManager(stack.nc);
    const info = await jsm.streams.info(CALL_EVENTS_STREAM, { subjects_filter: eventSubject(callSid, kind) });
    return info.state.subjects?.[eventSubject(callSid, kind)] ?? 0;
  };

  it('registers an inbound call with the agent of the dialled number and connects the stream', async () => {
    await stack.client.agentUpsert({
      id: 'sales',
      phoneNumber: '+15559870001',
      instructions: 'You sell things.',
      voice: 'alloy',
      model: 'gpt-realtime',
      greeting: 'Hello from sales!',
    });
    const callSid = newCallSid();
    const res = await postTwilio(
      stack.gateway,
      '/twilio/voice',
      voiceParams(callSid, { To: '+15559870001' }),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
    const xml = await res.text();
    expect(xml).toContain(
      `<Connect action="${PUBLIC_BASE_URL}/twilio/stream-ended"><Stream url="${MEDIA_STREAM_URL}">`,
    );
    expect(xml).toContain(`<Parameter name="callSid" value="${callSid}"/>`);
    // Nothing after the stream: what follows is the answer to the stream-ended request.
    expect(xml).toMatch(/<\/Connect><\/Response>$/);
    expect(xml).not.toContain('<Say>');

    const call = await stack.client.callBySid({ callSid });
    expect(call).toMatchObject({
      callSid,
      direction: 'inbound',
      from: '+15557654321',
      to: '+15559870001',
      agent: { id: 'sales' },
    });
  });

  it('gives a number without an agent of its own to the default agent; a retried webhook changes nothing', async () => {
    const callSid = newCallSid();
    for (let i = 0; i < 2; i++) {
      const res = await postTwilio(stack.gateway, '/twilio/voice', voiceParams(callSid));
      expect(res.status).toBe(200);
      expect(await res.text()).toContain(callSid);
    }
    expect((await stack.client.callBySid({ callSid })).agent.id).toBe('default');
  });

  it('checks the signature over the public URL with its query', async () => {
    const callSid = newCallSid();
    const path = '/twilio/voice?tenant=acme&x=1';
    const res = await postTwilio(stack.gateway, path, voiceParams(callSid));
    expect(res.status).toBe(200);
    // Signed for the address the test dials instead of the public one: refused.
    const local = await postTwilio(stack.gateway, '/twilio/voice', voiceParams(newCallSid()), {
      signedFor: `${stack.gateway.url}/twilio/voice`,
    });
    expect(local.status).toBe(403);
  });

  it('refuses a tampered signature with 403 and stores nothing', async () => {
    const callSid = newCallSid();
    const params = voiceParams(callSid);
    const signed = await postTwilio(stack.gateway, '/twilio/voice', params, { authToken: 'not-the-token' });
    expect(signed.status).toBe(403);
    expect(await signed.json()).toEqual({
      error: { code: 'FORBIDDEN', message: 'invalid X-Twilio-Signature' },
    });

    // A valid signature, then one param changed on the way.
    const tampered = await fetch(`${stack.gateway.url}/twilio/voice`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': (await import('@switchboard/testkit')).twilioSignature(
          'test-auth-token',
          `${PUBLIC_BASE_URL}/twilio/voice`,
          params,
        ),
      },
      body: new URLSearchParams({ ...params, To: '+15550009999' }).toString(),
    });
    expect(tampered.status).toBe(403);
    const unsigned = await fetch(`${stack.gateway.url}/twilio/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(statusParams(callSid, 'completed', 3)).toString(),
    });
    expect(unsigned.status).toBe(403);
    const badStatus = await postTwilio(
      stack.gateway,
      '/twilio/status',
      statusParams(callSid, 'completed', 3),
      {
        authToken: 'not-the-token',
      },
    );
    expect(badStatus.status).toBe(403);

    await expect(stack.client.callBySid({ callSid })).rejects.toBeInstanceOf(CallNotFoundError);
    expect(await storedEvents(callSid, 'status')).toBe(0);
  });

  it('ends in the right status when callbacks arrive out of order and duplicated', async () => {
    const callSid = newCallSid();
    expect((await postTwilio(stack.gateway, '/twilio/voice', voiceParams(callSid))).status).toBe(200);
    const callbacks = [
      statusParams(callSid, 'ringing', 1),
      statusParams(callSid, 'completed', 42, { CallDuration: '40', Duration: '1' }),
      statusParams(callSid, 'in-progress', 2),
      statusParams(callSid, 'completed', 42, { CallDuration: '40', Duration: '1' }),
      statusParams(callSid, 'ringing', 1),
    ];
    for (const params of callbacks) {
      const res = await postTwilio(stack.gateway, '/twilio/status', params);
      expect(res.status).toBe(204);
    }
    const call = await eventually(
      () => stack.client.callBySid({ callSid }),
      (c) => c.status === 'completed' && c.answeredAt !== null,
    );
    expect(call).toMatchObject({
      status: 'completed',
      answeredAt: '2026-11-27T10:00:02.000Z',
      endedAt: '2026-11-27T10:00:42.000Z',
      durationSeconds: 40,
    });
    // Twilio's retries of one callback are stored once.
    expect(await storedEvents(callSid, 'status')).toBe(3);
  });

  it('refuses a callback that is not a status callback with 400', async () => {
    const res = await postTwilio(stack.gateway, '/twilio/status', {
      CallSid: newCallSid(),
      CallStatus: 'exploded',
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
  });

  it('stores statuses while the registry is stopped, and they land once it is back', async () => {
    const callSid = newCallSid();
    expect((await postTwilio(stack.gateway, '/twilio/voice', voiceParams(callSid))).status).toBe(200);
    await stack.stopRegistry();
    try {
      for (const params of [
        statusParams(callSid, 'in-progress', 2),
        statusParams(callSid, 'completed', 30),
      ]) {
        expect((await postTwilio(stack.gateway, '/twilio/status', params)).status).toBe(204);
      }
      // Meanwhile a new call cannot be registered: the caller hears an apology, Twilio a 200.
      const res = await postTwilio(stack.gateway, '/twilio/voice', voiceParams(newCallSid()));
      expect(res.status).toBe(200);
      const xml = await res.text();
      expect(xml).toContain(`<Say>${APOLOGY_MESSAGE}</Say><Hangup/>`);
      expect(xml).not.toContain('<Connect');
    } finally {
      await stack.restartRegistry();
    }
    const call = await eventually(
      () => stack.client.callBySid({ callSid }),
      (c) => c.status === 'completed',
    );
    expect(call.endedAt).toBe('2026-11-27T10:00:30.000Z');
  });

  it('answers the voice webhook with the apology when its params make no sense', async () => {
    const res = await postTwilio(stack.gateway, '/twilio/voice', {
      CallSid: 'CA-not-a-sid',
      To: '+15559870000',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain(APOLOGY_MESSAGE);
  });

  it('refuses bodies over 64 KiB with 413 and answers unknown routes with 404, in JSON', async () => {
    const big = await postTwilio(
      stack.gateway,
      '/twilio/voice',
      voiceParams(newCallSid(), { Pad: 'x'.repeat(70_000) }),
    );
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    const missing = await fetch(`${stack.gateway.url}/nowhere`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error: { code: 'NOT_FOUND', message: 'no route for GET /nowhere' },
    });
  });
});
