import { DeadLetterListReply } from '@switchboard/contracts';
import { type Gateway, loadConfig as gatewayConfig, startGateway } from '@switchboard/webhook-gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  allAccepted,
  callSidOf,
  eventually,
  expectedTypes,
  log,
  type NotifierStack,
  placeCall,
  startNotifierStack,
} from './support.js';

const API_KEY = 'notifier-test-key';

describe('deliveries given up on', () => {
  let s: NotifierStack;
  let gateway: Gateway;
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${gateway.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    });

  beforeAll(async () => {
    // A budget of seconds instead of a day: the schedule is the same, it just ends sooner.
    s = await startNotifierStack({ WEBHOOK_RETRY_BUDGET_MS: '2500' });
    gateway = await startGateway({
      config: gatewayConfig({
        PORT: '0',
        NATS_URL: s.stack.nats.url,
        PUBLIC_BASE_URL: 'https://gateway.example.com',
        MEDIA_STREAM_URL: 'wss://media.example.com/media-stream',
        TWILIO_SKIP_SIGNATURE: 'true',
        API_KEYS: API_KEY,
        WEBHOOK_ALLOW_PRIVATE_URLS: 'true',
      }),
      log,
    });
  });
  afterAll(async () => {
    await gateway?.close();
    await s?.close();
  });

  it('are listed as dead letters after the retry budget, and a replay delivers them with their webhook-ids', async () => {
    const res = await api('/api/webhooks', {
      method: 'POST',
      body: JSON.stringify({
        url: s.receiver.url,
        events: ['call.started', 'call.transcript', 'call.ended', 'call.status'],
      }),
    });
    expect(res.status).toBe(201);
    const webhook = (await res.json()) as { id: string; secret: string };
    s.receiver.secret = webhook.secret;
    await s.receiver.setMode('error');
    const callSid = await placeCall(s);
    const types = expectedTypes(2);

    const listed = await eventually(
      async () => DeadLetterListReply.parse(await (await api(`/api/webhooks/${webhook.id}/failed`)).json()),
      (page) => page.failed.length === types.length,
      30_000,
    );
    expect(listed.failed.map((f) => f.type)).toEqual(types);
    for (const f of listed.failed) {
      expect(f).toMatchObject({ webhookId: webhook.id, callSid, lastError: 'HTTP 500: receiver broken' });
      expect(f.attempts).toBeGreaterThanOrEqual(1);
      expect((f.payload as { type: string }).type).toBe(f.type);
    }
    // Each was attempted, with the same webhook-id every time.
    const failedIds = new Set(s.receiver.received.map((r) => r.id));
    expect(listed.failed.every((f) => failedIds.has(f.deliveryId))).toBe(true);
    expect(s.receiver.accepted).toHaveLength(0);

    await s.receiver.setMode('ok');
    const replay = await api(`/api/webhooks/${webhook.id}/failed/replay`, { method: 'POST' });
    expect(replay.status).toBe(202);
    expect(await replay.json()).toEqual({ id: webhook.id, replayed: types.length });
    await eventually(
      async () => allAccepted(s.receiver, [callSid], types),
      (done) => done,
    );
    const got = s.receiver.accepted.filter((r) => callSidOf(r) === callSid);
    expect(got.map((r) => r.json.type)).toEqual(types);
    expect(got.map((r) => r.id)).toEqual(listed.failed.map((f) => f.deliveryId));
    expect(got.every((r) => r.verified)).toBe(true);
    const after = DeadLetterListReply.parse(await (await api(`/api/webhooks/${webhook.id}/failed`)).json());
    expect(after.failed).toEqual([]);
  }, 60_000);
});

describe('webhook URLs on private addresses at delivery time', () => {
  let s: NotifierStack;
  beforeAll(async () => {
    s = await startNotifierStack({ WEBHOOK_ALLOW_PRIVATE_URLS: 'false', WEBHOOK_RETRY_BUDGET_MS: '1500' });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('refuses loopback (by address, and by the name localhost) without sending anything', async () => {
    // Subscribed past the API's own check (the registry takes any http(s) URL): the notifier checks again.
    const byAddress = await s.subscribe(['call.ended'], { url: s.receiver.url });
    const byName = await s.subscribe(['call.ended'], { url: `http://localhost:${s.receiver.port}/hooks` });
    await placeCall(s);
    for (const webhook of [byAddress, byName]) {
      const page = await eventually(
        () => s.client.webhookFailedList({ webhookId: webhook.id }),
        (p) => p.failed.length === 1,
        20_000,
      );
      expect(page.failed[0]?.lastError).toMatch(/private, loopback or link-local/);
    }
    expect(s.receiver.received).toHaveLength(0);
  }, 40_000);
});
