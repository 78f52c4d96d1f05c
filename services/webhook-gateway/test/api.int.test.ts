import { EventPublisher } from '@switchboard/bus';
import { Call, CallListReply, Transcript } from '@switchboard/contracts';
import { metricValue } from '@switchboard/testkit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCOUNT_SID,
  API_KEY,
  AUTH_TOKEN,
  api,
  eventually,
  FROM_NUMBER,
  type GatewayStack,
  log,
  newCallSid,
  PUBLIC_BASE_URL,
  postTwilio,
  startStack,
  voiceParams,
} from './support.js';

const CALLEE = '+15552223333';

describe('the API through the real registry and a fake of Twilio REST API', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await startStack();
    await stack.client.agentUpsert({
      id: 'support',
      instructions: 'You help customers.',
      voice: 'verse',
      model: 'gpt-realtime',
    });
  });
  afterAll(() => stack?.close());
  beforeEach(() => stack.twilio.reset());

  it('refuses requests without a valid API key with 401', async () => {
    const none = await fetch(`${stack.gateway.url}/api/calls`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer');
    expect(await none.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    const wrong = await api(stack.gateway, '/api/calls', {}, `${API_KEY}x`);
    expect(wrong.status).toBe(401);
    const basic = await fetch(`${stack.gateway.url}/api/calls`, {
      headers: { authorization: `Basic ${API_KEY}` },
    });
    expect(basic.status).toBe(401);
    expect((await api(stack.gateway, '/api/calls', {}, 'other-key')).status).toBe(200);
  });

  it('places an outbound call with Twilio, registers it with its agent, and keeps the agent when answered', async () => {
    const res = await api(stack.gateway, '/api/calls', {
      method: 'POST',
      body: JSON.stringify({ to: CALLEE, agentId: 'support' }),
    });
    expect(res.status).toBe(201);
    const call = Call.parse(await res.json());
    expect(call).toMatchObject({
      direction: 'outbound',
      from: FROM_NUMBER,
      to: CALLEE,
      status: 'queued',
      agent: { id: 'support' },
    });
    expect(res.headers.get('location')).toBe(`/api/calls/${call.callSid}`);

    // What Twilio received: form-encoded, basic auth, the webhooks and all four status events.
    expect(stack.twilio.createRequests).toHaveLength(1);
    const sent = stack.twilio.createRequests[0];
    expect(sent).toMatchObject({
      path: `/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`,
      username: ACCOUNT_SID,
      password: AUTH_TOKEN,
      contentType: 'application/x-www-form-urlencoded',
      params: {
        To: CALLEE,
        From: FROM_NUMBER,
        Url: `${PUBLIC_BASE_URL}/twilio/voice`,
        Method: 'POST',
        StatusCallback: `${PUBLIC_BASE_URL}/twilio/status`,
        StatusCallbackMethod: 'POST',
        StatusCallbackEvent: ['initiated', 'ringing', 'answered', 'completed'],
      },
    });
    expect(stack.twilio.calls.has(call.callSid)).toBe(true);

    // The callee answers: Twilio asks /twilio/voice with Direction outbound-api.
    const answered = await postTwilio(
      stack.gateway,
      '/twilio/voice',
      voiceParams(call.callSid, {
        From: FROM_NUMBER,
        To: CALLEE,
        Direction: 'outbound-api',
        CallStatus: 'in-progress',
      }),
    );
    expect(answered.status).toBe(200);
    expect(await answered.text()).toContain(`<Parameter name="callSid" value="${call.callSid}"/>`);
    const stored = await (await api(stack.gateway, `/api/calls/${call.callSid}`)).json();
    expect(stored).toMatchObject({ callSid: call.callSid, direction: 'outbound', agent: { id: 'support' } });
  });

  it('uses the caller id given, and the default agent when none is named', async () => {
    const res = await api(stack.gateway, '/api/calls', {
      method: 'POST',
      body: JSON.stringify({ to: CALLEE, from: '+15550002222' }),
    });
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ from: '+15550002222', agent: { id: 'default' } });
    expect(stack.twilio.createRequests[0]?.params.From).toBe('+15550002222');
  });

  it('validates the request before calling Twilio', async () => {
    for (const body of [
      { to: '5552223333' },
      { to: CALLEE, from: 'nope' },
      { to: CALLEE, agentId: 'has spaces' },
      { to: CALLEE, extra: true },
      {},
    ]) {
      const res = await api(stack.gateway, '/api/calls', { method: 'POST', body: JSON.stringify(body) });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'INVALID_REQUEST' } });
    }
    const malformed = await api(stack.gateway, '/api/calls', { method: 'POST', body: '{"to":' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toEqual({
      error: { code: 'INVALID_REQUEST', message: 'the request body is not valid JSON' },
    });
    const big = await api(stack.gateway, '/api/calls', {
      method: 'POST',
      body: JSON.stringify({ to: CALLEE, pad: 'x'.repeat(70_000) }),
    });
    expect(big.status).toBe(413);
    expect(await big.json()).toMatchObject({ error: { code: 'PAYLOAD_TOO_LARGE' } });
    expect(stack.twilio.requests).toHaveLength(0);
  });

  it('answers 404 for an unknown agent without placing a call', async () => {
    const res = await api(stack.gateway, '/api/calls', {
      method: 'POST',
      body: JSON.stringify({ to: CALLEE, agentId: 'nobody' }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'AGENT_NOT_FOUND' } });
    expect(stack.twilio.calls.size).toBe(0);
  });

  it('cancels the call Twilio queued when it cannot be registered, and says so', async () => {
    await stack.stopRegistry();
    try {
      const res = await api(stack.gateway, '/api/calls', {
        method: 'POST',
        body: JSON.stringify({ to: CALLEE }),
      });
      expect(res.status).toBe(503);
      const placed = [...stack.twilio.calls.values()].at(-1);
      expect(placed?.status).toBe('canceled');
    } finally {
      await stack.restartRegistry();
    }
  });

  it("turns Twilio's refusals into clear answers carrying Twilio's code and message", async () => {
    stack.twilio.failNext({ status: 400, code: 21211, message: "Invalid 'To' Phone Number: +15552223333" });
    const invalid = await api(stack.gateway, '/api/calls', {
      method: 'POST',
      body: JSON.stringify({ to: CALLEE }),
    });
    expect(invalid.status).toBe(400);
    expect(await invalid.json()).toEqual({
      error: {
        code: 'TWILIO_ERROR',
        message: "Twilio refused the call: Invalid 'To' Phone Number: +15552223333",
        details: {
          twilioStatus: 400,
          twilioCode: 21211,
          moreInfo: 'https://www.twilio.com/docs/errors/21211',
        },
      },
    });

    stack.twilio.failNext({ status: 429, code: 20429, message: 'Too Many Requests' });
    const limited = await api(stack.gateway, '/api/calls', {
      method: 'POST',
      body: JSON.stringify({ to: CALLEE }),
    });
    expect(limited.status).toBe(429);

    stack.twilio.failNext({ status: 500, code: 20500, message: 'Internal Server Error' });
    const broken = await api(stack.gateway, '/api/calls', {
      method: 'POST',
      body: JSON.stringify({ to: CALLEE }),
    });
    expect(broken.status).toBe(502);
    expect(await broken.json()).toMatchObject({
      error: { code: 'TWILIO_ERROR', details: { twilioCode: 20500 } },
    });
    expect(stack.twilio.calls.size).toBe(0);
  });

  it('answers 502 when Twilio rejects our credentials or cannot be reached', async () => {
    const wrongToken = await stack.startGateway({ TWILIO_AUTH_TOKEN: 'wrong-token' });
    const refused = await api(wrongToken, '/api/calls', {
      method: 'POST',
      body: JSON.stringify({ to: CALLEE }),
    });
    expect(refused.status).toBe(502);
    expect(await refused.json()).toMatchObject({
      error: { code: 'TWILIO_ERROR', details: { twilioStatus: 401, twilioCode: 20003 } },
    });

    const nowhere = await stack.startGateway({ TWILIO_API_BASE_URL: 'http://127.0.0.1:1' });
    const unreachable = await api(nowhere, '/api/calls', {
      method: 'POST',
      body: JSON.stringify({ to: CALLEE }),
    });
    expect(unreachable.status).toBe(502);
    expect(await unreachable.json()).toMatchObject({ error: { code: 'TWILIO_ERROR' } });
  });

  it('reads a call, lists calls page by page, and filters them by status', async () => {
    const sids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const callSid = newCallSid();
      await stack.client.callCreate({
        callSid,
        direction: 'inbound',
        from: '+15550003333',
        to: '+15559870000',
      });
      sids.push(callSid);
    }
    const one = await api(stack.gateway, `/api/calls/${sids[0]}`);
    expect(one.status).toBe(200);
    expect(await one.json()).toMatchObject({ callSid: sids[0], status: 'queued' });

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `?limit=2&cursor=${encodeURIComponent(cursor)}` : '?limit=2';
      const page = await api(stack.gateway, `/api/calls${query}`);
      expect(page.status).toBe(200);
      const body = CallListReply.parse(await page.json());
      expect(body.calls.length).toBeLessThanOrEqual(2);
      seen.push(...body.calls.map((c) => c.callSid));
      cursor = body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(sids));

    const queued = CallListReply.parse(
      await (await api(stack.gateway, '/api/calls?status=queued&limit=200')).json(),
    );
    expect(queued.calls.map((c) => c.callSid)).toEqual(expect.arrayContaining(sids));
    expect(queued.calls.every((c) => c.status === 'queued')).toBe(true);
    const completed = CallListReply.parse(
      await (await api(stack.gateway, '/api/calls?status=completed&limit=200')).json(),
    );
    expect(completed.calls.map((c) => c.callSid)).not.toContain(sids[0]);
    for (const query of [
      '?limit=0',
      '?limit=201',
      '?limit=x',
      '?status=answered',
      '?limit=1&limit=2',
      '?sort=asc',
    ]) {
      const bad = await api(stack.gateway, `/api/calls${query}`);
      expect(bad.status, query).toBe(400);
    }
  });

  it('answers 404 for an unknown call, 400 for a malformed callSid', async () => {
    const unknown = await api(stack.gateway, `/api/calls/${newCallSid()}`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'CALL_NOT_FOUND' } });
    const malformed = await api(stack.gateway, '/api/calls/CA123');
    expect(malformed.status).toBe(400);
    expect((await api(stack.gateway, `/api/calls/${newCallSid()}/transcript`)).status).toBe(404);
  });

  it('returns the transcript in spoken order', async () => {
    const callSid = newCallSid();
    await stack.client.callCreate({
      callSid,
      direction: 'inbound',
      from: '+15550003333',
      to: '+15559870000',
    });
    const publisher = new EventPublisher(stack.nc, log);
    const at = (s: number) => new Date(Date.UTC(2026, 10, 27, 10, 0, s)).toISOString();
    await publisher.publish(
      { kind: 'transcript', callSid, role: 'caller', text: 'I need help.', itemId: 'item-2', at: at(3) },
      { msgId: `${callSid}.t2` },
    );
    await publisher.publish(
      { kind: 'transcript', callSid, role: 'agent', text: 'Hello!', itemId: 'item-1', at: at(1) },
      { msgId: `${callSid}.t1` },
    );
    const transcript = await eventually(
      async () =>
        Transcript.parse(await (await api(stack.gateway, `/api/calls/${callSid}/transcript`)).json()),
      (t) => t.segments?.length === 2,
    );
    expect(transcript).toEqual({
      callSid,
      segments: [
        { role: 'agent', text: 'Hello!', at: at(1) },
        { role: 'caller', text: 'I need help.', at: at(3) },
      ],
    });
  });

  it('serves health, readiness and metrics', async () => {
    expect(await (await fetch(`${stack.gateway.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${stack.gateway.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', registry: 'ok' });
    const metrics = await (await fetch(`${stack.gateway.url}/metrics`)).text();
    const readyz = { route: '/readyz', method: 'GET', status: '200' };
    expect(metricValue(metrics, 'gateway_http_requests_total', readyz)).toBe(1);
    expect(metricValue(metrics, 'gateway_http_request_duration_seconds_count', readyz)).toBe(1);
    expect(metricValue(metrics, 'gateway_http_request_duration_seconds_sum', readyz)).toBeGreaterThan(0);
    expect(
      metricValue(metrics, 'gateway_registry_request_duration_seconds_count', {
        endpoint: 'registry.health',
        outcome: 'ok',
      }),
    ).toBe(1);
  });
});
