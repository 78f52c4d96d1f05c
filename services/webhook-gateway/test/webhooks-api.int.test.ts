import { jetstreamManager } from '@nats-io/jetstream';
import { ensureDeliveriesStream } from '@switchboard/bus';
import {
  DeadLetterListReply,
  WEBHOOK_DELIVERIES_STREAM,
  WebhookDelivery,
  WebhookListReply,
  WebhookWithSecret,
} from '@switchboard/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, errorOf, type GatewayStack, newCallSid, startStack } from './support.js';

describe('webhook subscriptions over HTTP (SPEC "Webhooks")', () => {
  let stack: GatewayStack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(() => stack?.close());

  const create = (body: unknown, gateway = stack.gateway) =>
    api(gateway, '/api/webhooks', { method: 'POST', body: JSON.stringify(body) });

  it('creates with 201 and the secret shown once, lists and reads without it, deletes with 204 then 404', async () => {
    const res = await create({
      url: 'https://hooks.example.com/switchboard',
      events: ['call.ended', 'call.started'],
    });
    expect(res.status).toBe(201);
    const created = WebhookWithSecret.parse(await res.json());
    expect(created).toMatchObject({
      url: 'https://hooks.example.com/switchboard',
      events: ['call.ended', 'call.started'],
      agentId: null,
    });
    expect(created.id).toMatch(/^wh_[0-9a-f]{24}$/);
    // A Standard Webhooks secret: whsec_ and base64 of 24 random bytes.
    expect(Buffer.from(created.secret.slice('whsec_'.length), 'base64')).toHaveLength(24);
    expect(res.headers.get('location')).toBe(`/api/webhooks/${created.id}`);
    const again = WebhookWithSecret.parse(
      await (await create({ url: 'https://hooks.example.com/switchboard', events: ['call.ended'] })).json(),
    );
    expect(again.secret).not.toBe(created.secret);

    const list = await api(stack.gateway, '/api/webhooks');
    expect(list.status).toBe(200);
    const listed = await list.json();
    expect(JSON.stringify(listed)).not.toContain('whsec_');
    expect(WebhookListReply.parse(listed).webhooks.map((w) => w.id)).toEqual(
      expect.arrayContaining([created.id, again.id]),
    );
    const one = await api(stack.gateway, `/api/webhooks/${created.id}`);
    expect(await one.json()).toEqual({
      id: created.id,
      url: created.url,
      events: created.events,
      agentId: null,
      createdAt: created.createdAt,
    });

    expect((await api(stack.gateway, `/api/webhooks/${created.id}`, { method: 'DELETE' })).status).toBe(204);
    const gone = await api(stack.gateway, `/api/webhooks/${created.id}`, { method: 'DELETE' });
    expect(gone.status).toBe(404);
    expect((await errorOf(gone)).code).toBe('WEBHOOK_NOT_FOUND');
    expect((await api(stack.gateway, `/api/webhooks/${created.id}`)).status).toBe(404);
    expect((await api(stack.gateway, `/api/webhooks/${created.id}/failed`)).status).toBe(404);
  });

  it.each([
    [{}, 'url'],
    [{ url: 'ftp://hooks.example.com/', events: ['call.ended'] }, 'url'],
    [{ url: 'not a url', events: ['call.ended'] }, 'url'],
    [{ url: 'https://hooks.example.com/' }, 'events'],
    [{ url: 'https://hooks.example.com/', events: [] }, 'events'],
    [{ url: 'https://hooks.example.com/', events: ['call.answered'] }, 'events.0'],
    [{ url: 'https://hooks.example.com/', events: ['call.ended', 'call.ended'] }, 'events'],
    [{ url: 'https://hooks.example.com/', events: ['call.ended'], agentId: 'no spaces' }, 'agentId'],
    [{ url: 'https://hooks.example.com/', events: ['call.ended'], agentId: 'nobody' }, 'agentId'],
    [{ url: 'https://hooks.example.com/', events: ['call.ended'], secret: 'whsec_AAAA' }, 'secret'],
    [{ url: 'http://127.0.0.1:8080/hooks', events: ['call.ended'] }, 'url'],
    [{ url: 'http://localhost/hooks', events: ['call.ended'] }, 'url'],
    [{ url: 'http://[::1]/hooks', events: ['call.ended'] }, 'url'],
    [{ url: 'http://10.1.2.3/hooks', events: ['call.ended'] }, 'url'],
    [{ url: 'http://169.254.169.254/latest/meta-data', events: ['call.ended'] }, 'url'],
  ])('refuses %j with a 400 naming %s, and creates nothing', async (body, field) => {
    const before = WebhookListReply.parse(await (await api(stack.gateway, '/api/webhooks')).json());
    const res = await create(body);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('INVALID_REQUEST');
    expect(error.message).toContain(field);
    expect((error.details as Array<{ path: string[] }>).map((d) => d.path.join('.'))).toContain(field);
    const after = WebhookListReply.parse(await (await api(stack.gateway, '/api/webhooks')).json());
    expect(after.webhooks).toHaveLength(before.webhooks.length);
  });

  it('refuses malformed JSON, bad ids and requests without the key', async () => {
    const bad = await api(stack.gateway, '/api/webhooks', { method: 'POST', body: '{"url":' });
    expect(bad.status).toBe(400);
    const badId = await api(stack.gateway, '/api/webhooks/not-an-id', { method: 'DELETE' });
    expect(badId.status).toBe(400);
    expect((await errorOf(badId)).message).toContain('webhook id');
    expect((await fetch(`${stack.gateway.url}/api/webhooks`)).status).toBe(401);
    expect(
      (
        await fetch(`${stack.gateway.url}/api/webhooks`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ url: 'https://hooks.example.com/', events: ['call.ended'] }),
        })
      ).status,
    ).toBe(401);
  });

  it('takes loopback and private URLs when WEBHOOK_ALLOW_PRIVATE_URLS=true, and an existing agent', async () => {
    const permissive = await stack.startGateway({ WEBHOOK_ALLOW_PRIVATE_URLS: 'true' });
    const res = await create(
      { url: 'http://127.0.0.1:9/hooks', events: ['call.status'], agentId: 'default' },
      permissive,
    );
    expect(res.status).toBe(201);
    expect(await res.json()).toMatchObject({ url: 'http://127.0.0.1:9/hooks', agentId: 'default' });
  });

  it('lists dead letters oldest first, and a replay queues each again with its webhook-id, then forgets it', async () => {
    const webhook = WebhookWithSecret.parse(
      await (await create({ url: 'https://hooks.example.com/dead', events: ['call.ended'] })).json(),
    );
    await ensureDeliveriesStream(stack.nc);
    const callSid = newCallSid();
    const body = (n: number) =>
      JSON.stringify({ type: 'call.ended', timestamp: new Date().toISOString(), data: { n } });
    for (const n of [1, 2, 3]) {
      await stack.client.webhookFailedAdd({
        key: `test:${webhook.id}:${n}`,
        delivery: {
          webhookId: webhook.id,
          deliveryId: `msg_dead${n}`,
          callSid,
          type: 'call.ended',
          body: body(n),
          sourceSeq: n,
        },
        attempts: 7,
        lastError: 'HTTP 500',
        queuedAt: new Date().toISOString(),
      });
    }
    const page = await api(stack.gateway, `/api/webhooks/${webhook.id}/failed?limit=2`);
    expect(page.status).toBe(200);
    const first = DeadLetterListReply.parse(await page.json());
    expect(first.failed.map((f) => f.deliveryId)).toEqual(['msg_dead1', 'msg_dead2']);
    expect(first.failed[0]).toMatchObject({
      attempts: 7,
      lastError: 'HTTP 500',
      callSid,
      payload: { data: { n: 1 } },
    });
    const rest = DeadLetterListReply.parse(
      await (
        await api(stack.gateway, `/api/webhooks/${webhook.id}/failed?cursor=${first.nextCursor}`)
      ).json(),
    );
    expect(rest.failed.map((f) => f.deliveryId)).toEqual(['msg_dead3']);
    expect((await api(stack.gateway, `/api/webhooks/${webhook.id}/failed?limit=0`)).status).toBe(400);

    const replay = await api(stack.gateway, `/api/webhooks/${webhook.id}/failed/replay`, { method: 'POST' });
    expect(replay.status).toBe(202);
    expect(await replay.json()).toEqual({ id: webhook.id, replayed: 3 });
    const after = DeadLetterListReply.parse(
      await (await api(stack.gateway, `/api/webhooks/${webhook.id}/failed`)).json(),
    );
    expect(after.failed).toEqual([]);

    // Queued for the notifier, in order, each with the webhook-id and body it had.
    const jsm = await jetstreamManager(stack.nc);
    const queued: WebhookDelivery[] = [];
    const info = await jsm.streams.info(WEBHOOK_DELIVERIES_STREAM);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const msg = await jsm.streams.getMessage(WEBHOOK_DELIVERIES_STREAM, { seq });
      if (msg) queued.push(WebhookDelivery.parse(msg.json()));
    }
    expect(
      queued.filter((d) => d.webhookId === webhook.id).map((d) => [d.deliveryId, JSON.parse(d.body).data.n]),
    ).toEqual([
      ['msg_dead1', 1],
      ['msg_dead2', 2],
      ['msg_dead3', 3],
    ]);
  });
});
