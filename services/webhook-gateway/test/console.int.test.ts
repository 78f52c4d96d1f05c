import { EventPublisher } from '@switchboard/bus';
import { SseReader } from '@switchboard/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_CSP } from '../src/console/console-router.js';
import {
  API_KEY,
  api,
  type GatewayStack,
  log,
  newCallSid,
  PUBLIC_BASE_URL,
  postTwilio,
  startStack,
  statusParams,
  voiceParams,
} from './support.js';

// The console's server side: sign-in, the session cookie, CSRF, the pages, /api/events and /api/system.

const COOKIE_NAME = '__Host-switchboard_console';
const CONSOLE_HEADERS = { 'x-requested-by': 'switchboard-console', 'content-type': 'application/json' };

describe('the console on the gateway', () => {
  let stack: GatewayStack;
  let cookie: string;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  const url = (path: string) => `${stack.gateway.url}${path}`;

  async function signIn(apiKey = API_KEY): Promise<Response> {
    return fetch(url('/console/session'), {
      method: 'POST',
      headers: CONSOLE_HEADERS,
      body: JSON.stringify({ apiKey }),
    });
  }

  it('sends every console page to the sign-in page without a session, and serves that one', async () => {
    for (const path of [
      '/console',
      '/console/live',
      '/console/calls/CA00',
      '/console/agents',
      '/console/system',
    ]) {
      const res = await fetch(url(path), { redirect: 'manual' });
      expect(res.status, path).toBe(303);
      expect(res.headers.get('location')).toBe(
        `/console/sign-in?next=${encodeURIComponent(path === '/console' ? '/console' : path)}`,
      );
    }
    const page = await fetch(url('/console/sign-in'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect(await page.text()).toContain('<div id="app">');
    expect((await fetch(url('/console/assets/nothing.js'))).status).toBe(404);
  });

  it('refuses a wrong key, and signs in with a right one into an HttpOnly, SameSite=Strict, Secure cookie', async () => {
    expect((await signIn(`${API_KEY}x`)).status).toBe(401);
    expect((await signIn('')).status).toBe(400);
    const res = await signIn();
    expect(res.status).toBe(200);
    const setCookie = res.headers.get('set-cookie') ?? '';
    // PUBLIC_BASE_URL is https: Secure, and the __Host- prefix that requires it.
    expect(setCookie).toMatch(new RegExp(`^${COOKIE_NAME}=v1\\.`));
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Strict');
    expect(setCookie).toContain('Secure');
    expect(setCookie).toContain('Path=/');
    expect(setCookie).not.toContain(API_KEY);
    cookie = setCookie.split(';')[0] as string;

    const page = await fetch(url('/console/live'), { headers: { cookie } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONSOLE_CSP);
    expect((await fetch(url('/api/calls'), { headers: { cookie } })).status).toBe(200);
    expect((await fetch(url('/console/session'), { headers: { cookie } })).status).toBe(200);
  });

  it('refuses a tampered cookie, and a sign-in or state change from another site', async () => {
    const tampered = `${cookie.slice(0, -2)}${cookie.endsWith('A') ? 'B' : 'A'}A`;
    expect((await fetch(url('/api/calls'), { headers: { cookie: tampered } })).status).toBe(401);
    const body = JSON.stringify({ to: '+15552223333' });
    // No console header: a form or an image from another site.
    const plain = await fetch(url('/api/calls'), {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body,
    });
    expect(plain.status).toBe(403);
    const foreign = await fetch(url('/api/calls'), {
      method: 'POST',
      headers: { ...CONSOLE_HEADERS, cookie, origin: 'https://evil.example.com' },
      body,
    });
    expect(foreign.status).toBe(403);
    const crossSite = await fetch(url('/api/calls'), {
      method: 'POST',
      headers: { ...CONSOLE_HEADERS, cookie, 'sec-fetch-site': 'cross-site' },
      body,
    });
    expect(crossSite.status).toBe(403);
    const signInFromElsewhere = await fetch(url('/console/session'), {
      method: 'POST',
      headers: { ...CONSOLE_HEADERS, origin: 'https://evil.example.com' },
      body: JSON.stringify({ apiKey: API_KEY }),
    });
    expect(signInFromElsewhere.status).toBe(403);
    // The console's own request, from its own origin, goes through (and reaches the route: Twilio answers).
    const own = await fetch(url('/api/calls'), {
      method: 'POST',
      headers: { ...CONSOLE_HEADERS, cookie, origin: PUBLIC_BASE_URL, 'sec-fetch-site': 'same-origin' },
      body,
    });
    expect(own.status).toBe(201);
  });

  it('streams call events as SSE with the stream sequence as id, resuming after Last-Event-ID', async () => {
    const callSid = newCallSid();
    const res = await api(stack.gateway, `/api/events?callSid=${callSid}`);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const sse = new SseReader(res);
    const ready = await sse.next();
    expect(ready.event).toBe('ready');
    expect((await postTwilio(stack.gateway, '/twilio/voice', voiceParams(callSid))).status).toBe(200);
    expect(
      (await postTwilio(stack.gateway, '/twilio/status', statusParams(callSid, 'ringing', 1))).status,
    ).toBe(204);
    const ringing = await sse.nextOf('status');
    expect(JSON.parse(ringing.data)).toMatchObject({ callSid, kind: 'status', status: 'ringing' });
    expect(Number(ringing.id)).toBeGreaterThan(Number(ready.id));
    await sse.cancel();

    // Two more events while nobody listens; a reconnect after `ringing` gets exactly those.
    await postTwilio(stack.gateway, '/twilio/status', statusParams(callSid, 'in-progress', 2));
    await new EventPublisher(stack.nc, log).publish(
      {
        kind: 'transcript',
        callSid,
        role: 'agent',
        text: 'Hello!',
        itemId: 'item_1',
        at: new Date().toISOString(),
      },
      { msgId: `transcript:${callSid}:item_1`, deadlineMs: 10_000 },
    );
    const resumed = new SseReader(
      await api(stack.gateway, `/api/events?callSid=${callSid}`, {
        headers: { 'last-event-id': ringing.id ?? '' },
      }),
    );
    expect((await resumed.next()).id).toBe(ringing.id);
    const next = [await resumed.next(), await resumed.next()];
    expect(next.map((f) => f.event)).toEqual(['status', 'transcript']);
    expect(JSON.parse(next[1]?.data ?? '')).toMatchObject({ role: 'agent', text: 'Hello!' });
    await resumed.cancel();

    // From the first event of the call (after=0), with the console's cookie.
    const replay = new SseReader(
      await fetch(url(`/api/events?callSid=${callSid}&after=0`), { headers: { cookie } }),
    );
    await replay.nextOf('ready');
    expect((await replay.nextOf('status')).id).toBe(ringing.id);
    await replay.cancel();

    expect((await fetch(url('/api/events'))).status).toBe(401);
    expect((await api(stack.gateway, '/api/events?callSid=nope')).status).toBe(400);
    expect((await api(stack.gateway, '/api/events', { headers: { 'last-event-id': 'x' } })).status).toBe(400);
  });

  it('reports the system: registry replicas with their pool, the consumer lag, this gateway', async () => {
    const res = await api(stack.gateway, '/api/system');
    expect(res.status).toBe(200);
    const system = (await res.json()) as {
      gateway: unknown;
      services: { replicas: { name: string; endpoints: { subject: string; pool?: unknown }[] }[] };
      registry: unknown;
      events: { consumer: unknown };
    };
    expect(system.gateway).toMatchObject({ name: 'webhook-gateway', version: expect.any(String) });
    const registry = system.services.replicas.find((r) => r.name === 'call-registry');
    const health = registry?.endpoints.find((e) => e.subject === 'registry.health');
    expect(health?.pool).toMatchObject({ max: 5 });
    expect(system.registry).toMatchObject({ status: 'ok', db: { max: 5 } });
    expect(system.events.consumer).toMatchObject({ name: 'call-registry', pending: expect.any(Number) });
  });

  it('ends its event streams when it stops, so browsers resume on another replica at once', async () => {
    // A shutdown timeout longer than the test's: closing only returns in time if the stream is ended.
    const other = await stack.startGateway({ SHUTDOWN_TIMEOUT_MS: '120000' });
    const sse = new SseReader(await api(other, '/api/events'));
    await sse.nextOf('ready');
    await other.close();
    await expect(sse.next(5_000)).rejects.toThrow('the stream ended');
  });

  it('signs out: the cookie is cleared', async () => {
    const res = await fetch(url('/console/session'), {
      method: 'DELETE',
      headers: { ...CONSOLE_HEADERS, cookie },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('set-cookie')).toMatch(new RegExp(`^${COOKIE_NAME}=; .*Max-Age=0`));
  });
});
